import time

# Refresh the session's expiry at most this often: the idle timeout slides, but
# not every request (an autosave every few seconds) writes the session table.
REFRESH_EVERY_SECONDS = 60


class SessionIdleTimeoutMiddleware:
    """Sign people out after SESSION_IDLE_MINUTES without a request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and request.user.is_authenticated and not session.is_empty():
            now = int(time.time())
            if now - session.get("_touched", 0) > REFRESH_EVERY_SECONDS:
                session["_touched"] = now  # marks the session modified: saved, expiry renewed
        return response
