"""Give every active plan its product and recurring price at Stripe, and keep them in step."""

import stripe
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from subscriptions.models import Plan
from subscriptions.stripe_provider import minor_units, stripe_client


class Command(BaseCommand):
    help = (
        "Create or update each active plan's Stripe product and recurring price. A changed "
        "price, currency or interval gets a new price (Stripe prices cannot change) and the "
        "old one is archived; subscribers on it keep paying it. Safe to run again."
    )

    def handle(self, *args, **options):
        if not settings.STRIPE_SECRET_KEY:
            raise CommandError("STRIPE_SECRET_KEY is not set.")
        client = stripe_client()
        plans = Plan.objects.active()
        if not plans:
            self.stdout.write("No active plans.")
        try:
            for plan in plans:
                for line in plan_sync(client=client, plan=plan):
                    self.stdout.write(f"{plan.name}: {line}")
        except stripe.StripeError as error:
            raise CommandError(f"Stripe refused: {error.user_message or error}") from error


def plan_sync(*, client, plan):
    """Bring `plan`'s Stripe product and price in step with it; yield what was done."""
    done = []
    if plan.provider_product_id:
        product = client.v1.products.retrieve(plan.provider_product_id)
        if product.name != plan.name:
            client.v1.products.update(plan.provider_product_id, params={"name": plan.name})
            done.append(f"renamed product {plan.provider_product_id}")
    else:
        product = client.v1.products.create(
            params={"name": plan.name, "metadata": {"plan_id": str(plan.pk), "slug": plan.slug}}
        )
        plan.provider_product_id = product.id
        plan.save(update_fields=["provider_product_id"])
        done.append(f"created product {product.id}")

    wanted = {
        "unit_amount": minor_units(amount=plan.price, currency=plan.currency),
        "currency": plan.currency.lower(),
        "interval": plan.interval,
    }
    old_price_id = plan.provider_price_id
    if old_price_id:
        price = client.v1.prices.retrieve(old_price_id).to_dict()
        current = {
            "unit_amount": price.get("unit_amount"),
            "currency": price.get("currency"),
            "interval": (price.get("recurring") or {}).get("interval"),
        }
        if current == wanted and price.get("active") and price.get("product") == product.id:
            return done or ["up to date"]
    price = client.v1.prices.create(
        params={
            "product": plan.provider_product_id,
            "unit_amount": wanted["unit_amount"],
            "currency": wanted["currency"],
            "recurring": {"interval": wanted["interval"]},
            "metadata": {"plan_id": str(plan.pk)},
        }
    )
    plan.provider_price_id = price.id
    plan.save(update_fields=["provider_price_id"])
    done.append(f"created price {price.id} ({plan.price_label})")
    if old_price_id:
        client.v1.prices.update(old_price_id, params={"active": False})
        done.append(f"archived price {old_price_id}")
    return done
