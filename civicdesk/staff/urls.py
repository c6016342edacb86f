from django.urls import path

from .views import case, export, intake, queue, residents

urlpatterns = [
    path("", queue.show_queue, name="staff-queue"),
    path("bulk/", queue.update_cases, name="staff-bulk"),
    path("export.<str:kind>", export.export_cases, name="staff-export"),
    path("intake/", intake.take_call, name="staff-intake"),
    path("intake/questions/", intake.show_questions, name="staff-intake-questions"),
    path("intake/lookup/", intake.look_up_caller, name="staff-intake-lookup"),
    path("people/", case.list_people, name="staff-people"),
    path("cases/<str:number>/", case.show_case, name="staff-case"),
    path("cases/<str:number>/assign/", case.assign_case, name="staff-assign"),
    path("cases/<str:number>/status/", case.change_status, name="staff-status"),
    path("cases/<str:number>/priority/", case.change_priority, name="staff-priority"),
    path("cases/<str:number>/service/", case.recategorise, name="staff-recategorise"),
    path("cases/<str:number>/reply/", case.reply, name="staff-reply"),
    path("cases/<str:number>/note/", case.add_note, name="staff-note"),
    path("cases/<str:number>/merge/", case.merge, name="staff-merge"),
    path("cases/<str:number>/merge/search/", case.find_merge_target, name="staff-merge-search"),
    path("cases/<str:number>/attach/", case.attach_photo, name="staff-attach"),
    path("cases/<str:number>/contact/", case.show_contact, name="staff-contact"),
    path("cases/<str:number>/resident/", residents.open_for_case, name="staff-case-resident"),
    path("residents/", residents.list_residents, name="staff-residents"),
    path("residents/<int:pk>/", residents.show_resident, name="staff-resident"),
    path("residents/<int:pk>/merge/", residents.merge_resident, name="staff-resident-merge"),
    path("residents/<int:pk>/merges/<int:event_id>/undo/", residents.undo_merge, name="staff-resident-undo"),
]
