from django import forms


class ComplimentaryGrantForm(forms.Form):
    months = forms.IntegerField(
        label="Months",
        min_value=1,
        max_value=60,
        initial=1,
        help_text="Access starts now and ends after this many calendar months. It does not renew.",
    )


class GiftForm(forms.Form):
    recipient_email = forms.EmailField(
        label="Their email (optional)",
        required=False,
        help_text="We email them the link. Or leave it empty and send the link yourself.",
    )
