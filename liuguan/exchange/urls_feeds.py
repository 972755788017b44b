from django.urls import path

from . import views_feeds

app_name = "feeds"
# Webhook subscriptions and their delivery status (the change feed and extracts are API only: api_feeds.py).
urlpatterns = [
    path("subscriptions/", views_feeds.subscriptions, name="subscriptions"),
    path(
        "subscriptions/<int:subscription_id>/deactivate/",
        views_feeds.subscription_deactivate,
        name="subscription_deactivate",
    ),
]
