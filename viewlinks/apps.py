from django.apps import AppConfig


class ViewLinksConfig(AppConfig):
    name = "viewlinks"
    verbose_name = "View links"
