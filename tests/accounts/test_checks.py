from accounts.checks import check_axes_sees_the_email


def ids(messages):
    return [message.id for message in messages]


def test_axes_must_see_the_email_address(settings):
    settings.AXES_USERNAME_CALLABLE = None
    settings.AXES_USERNAME_FORM_FIELD = "email"
    assert ids(check_axes_sees_the_email(None)) == ["accounts.W001"]
    settings.AXES_USERNAME_FORM_FIELD = "username"
    assert check_axes_sees_the_email(None) == []
    settings.AXES_USERNAME_FORM_FIELD = "email"
    settings.AXES_USERNAME_CALLABLE = "accounts.throttling.axes_username"
    assert check_axes_sees_the_email(None) == []
