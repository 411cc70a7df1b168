"""Roles are Django groups with permissions. The names are used in seed_demo,
the admin and the tests; the permissions are what the views check."""

CANDIDATE = "Candidate"
ASSESSOR = "Assessor"
ADMIN = "Admin"

# group -> (app_label, codename) of each permission it carries.
ROLE_PERMISSIONS = {
    CANDIDATE: [("units", "draft_answer")],
    ASSESSOR: [("units", "review_answer"), ("units", "view_answer"), ("units", "view_revision")],
    ADMIN: [
        (app, f"{action}_{model}")
        for app, model in [
            ("units", "unit"),
            ("units", "learningoutcome"),
            ("units", "modelanswer"),
            ("units", "unitintroduction"),
            ("units", "reading"),
            ("units", "assignment"),
            ("auth", "user"),
        ]
        for action in ("add", "change", "delete", "view")
    ]
    + [("units", "view_answer"), ("units", "view_revision")],
}
