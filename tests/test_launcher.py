"""The launcher forks the suite's servers and workers: each must run as a process started anew
would, with the environment, log and exit code of its own (tests/launcher.py)."""

import os
import signal

import pytest

from tests.fault_services import wait_until
from tests.launcher import Launcher, LauncherGone


def launched(tmp_path, code: str, **environment):
    script = tmp_path / "command.py"
    script.write_text(code)
    log = tmp_path / "command.log"
    env = {"PATH": os.environ["PATH"], **environment}
    return Launcher.start([str(script), "an-argument"], environment=env, log_path=log), log


def test_a_command_has_its_own_environment_arguments_output_and_exit_code(tmp_path):
    process, log = launched(
        tmp_path,
        "import os, sys\n"
        "print(os.environ.get('GIVEN'), os.environ.get('DJANGO_SETTINGS_MODULE'), sys.argv[1:])\n"
        "print('an error', file=sys.stderr)\n"
        "sys.exit(3)\n",
        GIVEN="given",
    )

    assert process.wait(timeout=10) == 3
    # Standard output buffered to its file and flushed at the end, as a new interpreter's is.
    assert sorted(log.read_text().splitlines()) == ["an error", "given None ['an-argument']"]


def test_sys_exit_without_a_code_is_success_and_an_exception_is_failure(tmp_path):
    (tmp_path / "ok").mkdir()
    ok, _ = launched(tmp_path / "ok", "raise SystemExit\n")
    assert ok.wait(timeout=10) == 0
    failed, log = launched(tmp_path, "raise RuntimeError('broken')\n")
    assert failed.wait(timeout=10) == 1
    assert "RuntimeError: broken" in log.read_text()


def test_a_signal_reaches_the_command_and_its_exit_code_says_so(tmp_path):
    process, log = launched(tmp_path, "import time\nprint('ready', flush=True)\ntime.sleep(60)\n")
    wait_until(lambda: log.exists() and "ready" in log.read_text(), what="the command")

    assert process.poll() is None
    process.send_signal(signal.SIGKILL)

    assert process.wait(timeout=10) == -signal.SIGKILL


def test_a_command_whose_launcher_has_ended_says_so_rather_than_running_for_ever(tmp_path):
    process, log = launched(tmp_path, "import time\nprint('ready', flush=True)\ntime.sleep(60)\n")
    wait_until(lambda: log.exists() and "ready" in log.read_text(), what="the command")
    process.launcher.kill()  # as a crash of the launcher would
    process.launcher.wait(timeout=10)
    os.kill(process.pid, signal.SIGKILL)

    with pytest.raises(LauncherGone, match=f"forked pid {process.pid} ended"):
        process.wait(timeout=10)
    # The next command gets a launcher of its own.
    again, _ = launched(tmp_path, "raise SystemExit(5)\n")
    assert again.launcher is not process.launcher
    assert again.wait(timeout=10) == 5
