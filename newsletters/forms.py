from django import forms

from .models import Newsletter


class AddressSignUpForm(forms.Form):
    """An address typed by someone who is not logged in, for one newsletter."""

    newsletter = forms.ModelChoiceField(
        queryset=Newsletter.objects.filter(is_active=True),
        to_field_name="slug",
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "That newsletter is not taking sign-ups."},
    )
    email = forms.EmailField(label="Your email address", max_length=254)
    source = forms.CharField(required=False, widget=forms.HiddenInput, max_length=10)


class PreferencesForm(forms.Form):
    """The newsletters a logged-in reader gets: one box each."""

    newsletters = forms.ModelMultipleChoiceField(
        queryset=Newsletter.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Send me",
    )

    def __init__(self, *args, offered, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["newsletters"]
        field.queryset = offered
        field.label_from_instance = lambda newsletter: (
            f"{newsletter.name} ({newsletter.get_cadence_display().lower()}): "
            f"{newsletter.description}"
        )
