from django.urls import path

from ucj.todo import views

urlpatterns = [
    path("", views.home, name="home"),
    path("todo/count/", views.count, name="todo-count"),
]
