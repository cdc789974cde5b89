"""Render deploy/newsroom.nginx.conf into an nginx site file, filling in its @…@ places.

    python deploy/nginx_site.py --upstream 127.0.0.1:8000 --listen 80 \\
        --static-root /srv/newsroom/staticfiles --media-root /srv/newsroom/var/uploads \\
        --cache-dir /var/cache/nginx/newsroom > /etc/nginx/sites-available/newsroom

Standard library only. The tests render the same file the same way (tests/deploy/test_cdn.py).
"""

import argparse
import re
import sys
from pathlib import Path

DEPLOY_DIR = Path(__file__).resolve().parent
TEMPLATE = DEPLOY_DIR / "newsroom.nginx.conf"
PLACE = re.compile(r"@([A-Z_]+)@")


def render_site(
    *,
    upstream: str,
    listen: str,
    static_root: Path,
    media_root: Path,
    cache_dir: Path,
    server_name: str = "_",
    access_log: str = "/var/log/nginx/newsroom.access.log",
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
) -> str:
    """Return the site file for these addresses and folders (TLS when a certificate is given)."""
    if (tls_cert is None) != (tls_key is None):
        raise ValueError("Give both --tls-cert and --tls-key, or neither.")
    listens = [f"    listen {listen};"]
    if tls_cert is not None:
        # Plain HTTP stays open for the redirect to HTTPS, which the site itself sends
        # (SECURE_SSL_REDIRECT), /healthz and /readyz excepted.
        listens += [
            "    listen 443 ssl http2;",
            f"    ssl_certificate {tls_cert};",
            f"    ssl_certificate_key {tls_key};",
        ]
    values = {
        "LISTEN": "\n".join(listens),
        "UPSTREAM": upstream,
        "SERVER_NAME": server_name,
        "STATIC_ROOT": str(Path(static_root)).rstrip("/"),
        "MEDIA_ROOT": str(Path(media_root)).rstrip("/"),
        "CACHE_DIR": str(cache_dir),
        "ACCESS_LOG": access_log,
        "DEPLOY_DIR": str(DEPLOY_DIR),
    }
    text = TEMPLATE.read_text()
    missing = set(PLACE.findall(text)) - values.keys()
    if missing:
        raise ValueError(f"No value for {', '.join(sorted(missing))} in {TEMPLATE.name}.")
    return PLACE.sub(lambda found: values[found.group(1)], text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--upstream", required=True, help="gunicorn's address, host:port or unix:/path")
    add("--listen", default="80", help="what nginx listens on for plain HTTP (80)")
    add("--static-root", required=True, type=Path, help="STATIC_ROOT, after collectstatic")
    add("--media-root", required=True, type=Path, help="MEDIA_ROOT (uploads on local disk)")
    add("--cache-dir", required=True, type=Path, help="the cache's folder, writable by nginx")
    add("--server-name", default="_", help="server_name: the site's host names (_: any)")
    add("--access-log", default="/var/log/nginx/newsroom.access.log")
    add("--tls-cert", type=Path, help="certificate (full chain) to serve HTTPS on 443")
    add("--tls-key", type=Path, help="its private key")
    args = parser.parse_args()
    try:
        sys.stdout.write(render_site(**vars(args)))
    except ValueError as error:
        parser.error(str(error))


if __name__ == "__main__":
    main()
