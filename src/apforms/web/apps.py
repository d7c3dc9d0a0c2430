from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "apforms.web"
    label = "apforms_web"
    verbose_name = "apforms"
    default_auto_field = "django.db.models.BigAutoField"
