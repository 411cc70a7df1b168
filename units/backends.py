from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class PersonBackend(ModelBackend):
    """Django's ModelBackend, loading the person's profile in the same query:
    every page needs their interface and model-answer languages."""

    def get_user(self, user_id):
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related("profile").get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
