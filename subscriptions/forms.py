from django import forms

from subscriptions.models import CancellationFeedback, Plan


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


class CancellationForm(forms.ModelForm):
    """Why a reader cancels: one reason from the list, and their own words if they like."""

    class Meta:
        model = CancellationFeedback
        fields = ["reason", "text"]
        labels = {
            "reason": "Why are you cancelling?",
            "text": "Anything you would like to tell us? (optional)",
        }
        widgets = {
            "reason": forms.RadioSelect,
            "text": forms.Textarea(attrs={"rows": 4}),
        }
        error_messages = {"reason": {"required": "Choose the reason closest to yours."}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A radio list needs no "---------" choice: the reader must pick one of the reasons.
        self.fields["reason"].choices = CancellationFeedback.Reason.choices


class PlanSwitchForm(forms.Form):
    """The cheaper plan a cancelling reader chose instead; the service decides if they may."""

    plan = forms.ModelChoiceField(
        queryset=Plan.objects.all(),
        to_field_name="slug",
        error_messages={"invalid_choice": "That plan is not offered."},
    )
