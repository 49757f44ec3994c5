from django.urls import path

from tasks import views

app_name = "tasks"

urlpatterns = [
    path("mine/", views.my_tasks, name="mine"),
    path("overview/", views.overview, name="overview"),
    path("notifications/", views.notifications, name="notifications"),
    path("<int:pk>/supply/", views.supply, name="supply"),
]
