"""`fms portal`: the published figures, each explained, on pages an analyst or a purchaser opens
with their own account (FastAPI, server-rendered Jinja2 templates with autoescape, our CSS,
no script).

What a page may show is decided in one place per request: `reader()` turns the session cookie
into a `Reader`, and every query binds the reader's scope (app/portal/reads.py). A purchaser
asking for another purchaser's case, statement or file gets the 404 of something that does not
exist. Every POST (log in, log out) checks the CSRF token of its session cookie.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import jinja2
from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.portal.accounts import LockoutPolicy, LoginRefused, UserStore
from app.portal.charts import cumulative_chart
from app.portal.derivation import case_derivation
from app.portal.paging import Page
from app.portal.reads import NoSnapshot, Reader, Snapshot
from app.portal.sessions import SESSION_COOKIE, Session, SessionSigner, csrf_matches
from fms import formatting
from fms.billing.documents import listing_stem, statement_stem
from fms.billing.timeline import quarter_label

HERE = Path(__file__).parent
BILLING_JOB = "quarterly-billing"  # its rows in `publications` name the statement folders
DOWNLOADS = {  # what a statement page offers: (file name from the stem, media type)
    "xlsx": (
        statement_stem,
        ".xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "csv": (statement_stem, ".csv", "text/csv"),
    "listing": (listing_stem, ".csv", "text/csv"),
}
PageNumber = Annotated[int, Query(ge=1, le=1_000_000)]
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class PortalSettings:
    snapshot: Path  # fms.snapshots.snapshot_path(warehouse)
    users: Path  # the accounts' database (app/portal/accounts.py)
    secret: bytes  # signs the session cookies (app.portal.sessions.load_or_create_secret)
    tls: bool = False  # cookies are Secure when the portal is served over TLS
    session_minutes: int = 8 * 60
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    # Rows of a long list a page shows (app/portal/paging.py); a statement page shows each of
    # its cases' derivation, 11 lines each.
    rows_per_page: int = 100
    statement_cases_per_page: int = 25


class LoginNeeded(Exception):
    """No valid session: the page answers with a redirect to the login form."""


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        # A figure that does not exist prints as the dash the run report uses, never "None".
        finalize=lambda value: formatting.NONE if value is None else value,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["dollars"] = formatting.dollars
    env.filters["count"] = formatting.count
    env.filters["quarter"] = lambda day: quarter_label(day) if day else formatting.NONE
    env.filters["day"] = lambda day: day.strftime("%d %b %Y") if day else formatting.NONE
    env.filters["percent"] = lambda rate: f"{(rate * 100).normalize():f}%"
    return env


def create_app(settings: PortalSettings) -> FastAPI:
    app = FastAPI(title="FMS portal", docs_url=None, redoc_url=None, openapi_url=None)
    store = UserStore(settings.users, policy=settings.lockout)
    snapshot = Snapshot(settings.snapshot)
    signer = SessionSigner(settings.secret, settings.session_minutes * 60)
    env = _templates()
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def render(
        request: Request, template: str, status_code: int = 200, **context: object
    ) -> HTMLResponse:
        session = request.state.session
        reader = getattr(request.state, "reader", None)
        html = env.get_template(template).render(
            reader=reader,
            publications=snapshot.publications() if reader else [],
            csrf=session.csrf,
            path=request.url.path,
            **context,
        )
        response = HTMLResponse(html, status_code=status_code)
        _set_session(response, session)
        return response

    def _set_session(response: Response, session: Session) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            signer.dumps(session),
            max_age=signer.max_age,
            httponly=True,
            samesite="strict",
            secure=settings.tls,
            path="/",
        )

    @app.middleware("http")
    async def session_and_headers(request: Request, call_next):
        request.state.session = signer.loads(request.cookies.get(SESSION_COOKIE)) or signer.new()
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def reader(request: Request) -> Reader:
        session: Session = request.state.session
        user = store.get(session.user) if session.user else None
        if user is None or user.disabled or user.session_version != session.version:
            request.state.session = signer.new()
            raise LoginNeeded
        request.state.reader = Reader(user.name, user.role, user.country)
        return request.state.reader

    Who = Annotated[Reader, Depends(reader)]

    def check_csrf(request: Request, token: str) -> None:
        if not csrf_matches(request.state.session, token):
            raise HTTPException(status_code=403, detail="The form has expired: reload the page.")

    @app.exception_handler(LoginNeeded)
    async def to_login(request: Request, exc: LoginNeeded) -> Response:
        response = RedirectResponse("/login", status_code=303)
        _set_session(response, request.state.session)
        return response

    @app.exception_handler(NoSnapshot)
    async def no_snapshot(request: Request, exc: NoSnapshot) -> Response:
        return render(request, "message.html.j2", 503, title="No data yet", message=str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            message = "There is nothing here, or nothing you may see."
            return render(request, "message.html.j2", 404, title="Not found", message=message)
        return render(
            request, "message.html.j2", exc.status_code, title="Refused", message=exc.detail
        )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        message = "The address is not one the portal makes (a date, revision or page number)."
        return render(request, "message.html.j2", 404, title="Not found", message=message)

    def found(row):
        if not row:
            raise HTTPException(status_code=404)
        return row

    def paged(name: str, who: Reader, page: Page, **params: object) -> tuple[list[dict], Page]:
        records = snapshot.records(name, who, **params, **page.params)
        page = page.counted(records)
        if not page.exists():
            raise HTTPException(status_code=404)
        return records, page

    # -- accounts ---------------------------------------------------------------------------

    @app.get("/login")
    def login_form(request: Request) -> HTMLResponse:
        return render(request, "login.html.j2", error=None, name="")

    @app.post("/login")
    def login(
        request: Request,
        name: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        csrf_token: Annotated[str, Form()] = "",
    ) -> Response:
        check_csrf(request, csrf_token)
        remote = request.client.host if request.client else None
        try:
            user = store.authenticate(name.strip(), password, remote=remote)
        except LoginRefused as refused:
            return render(request, "login.html.j2", 401, error=refused.message, name=name)
        # A new session (and CSRF token) at login: a token seen before it is worth nothing.
        request.state.session = signer.new(user.name, user.session_version)
        response = RedirectResponse("/", status_code=303)
        _set_session(response, request.state.session)
        return response

    @app.post("/logout")
    def logout(request: Request, who: Who, csrf_token: Annotated[str, Form()] = "") -> Response:
        check_csrf(request, csrf_token)
        store.log_out(who.name, remote=request.client.host if request.client else None)
        request.state.session = signer.new()
        response = RedirectResponse("/login", status_code=303)
        _set_session(response, request.state.session)
        return response

    # -- pages ------------------------------------------------------------------------------

    @app.get("/")
    def overview(request: Request, who: Who) -> Response:
        if not who.is_analyst:
            return RedirectResponse(f"/purchasers/{who.country}", status_code=303)
        purchasers = snapshot.records("purchasers", who, code=None)
        return render(
            request, "overview.html.j2", purchasers=purchasers, totals=_totals(purchasers)
        )

    @app.get("/purchasers/{code}")
    def purchaser(request: Request, who: Who, code: str, page: PageNumber = 1) -> HTMLResponse:
        row = found(snapshot.record("purchasers", who, code=code))
        cases, pager = paged("purchaser_cases", who, Page(page, settings.rows_per_page), code=code)
        statements = snapshot.records("purchaser_statements", who, code=code)
        differences = snapshot.records("statement_differences", who, code=code)
        changes: dict[tuple, list[dict]] = {}
        for diff in differences:
            changes.setdefault((diff["period_end"], diff["revision"]), []).append(diff)
        return render(
            request,
            "purchaser.html.j2",
            purchaser=row,
            statements=statements,
            changes=changes,
            cases=cases,
            pager=pager,
        )

    @app.get("/statements/{code}/{period_end}/{revision}")
    def statement(
        request: Request, who: Who, code: str, period_end: date, revision: int, page: PageNumber = 1
    ) -> HTMLResponse:
        params = {"code": code, "period_end": period_end, "revision": revision}
        head = found(snapshot.record("statement", who, **params))
        cases, pager = paged(
            "statement_cases", who, Page(page, settings.statement_cases_per_page), **params
        )
        return render(
            request,
            "statement.html.j2",
            statement=head,
            cases=[(case, case_derivation(case)) for case in cases],
            pager=pager,
            downloads=_available_downloads(snapshot, code, period_end, revision),
        )

    @app.get("/statements/{code}/{period_end}/{revision}/files/{kind}")
    def download(
        request: Request, who: Who, code: str, period_end: date, revision: int, kind: str
    ) -> FileResponse:
        params = {"code": code, "period_end": period_end, "revision": revision}
        found(snapshot.record("statement", who, **params))
        path = found(_download_path(snapshot, code, period_end, revision, kind))
        store.audit(
            who.name, "download", path.name, remote=request.client.host if request.client else None
        )
        return FileResponse(path, media_type=DOWNLOADS[kind][2], filename=path.name)

    @app.get("/cases/{case_id}")
    def case(request: Request, who: Who, case_id: str) -> HTMLResponse:
        record = found(snapshot.record("case", who, case_id=case_id))
        money = snapshot.records("case_money_by_quarter", who, case_id=case_id)
        return render(
            request,
            "case.html.j2",
            case=record,
            lines=snapshot.records("case_lines", who, case_id=case_id),
            money=money,
            chart=cumulative_chart(money),
            deliveries=snapshot.records("case_deliveries", who, case_id=case_id),
            closure=snapshot.record("case_closure", who, case_id=case_id),
            buy_backs=snapshot.records("case_buy_backs", who, case_id=case_id),
        )

    @app.get("/closure")
    def closure(request: Request, who: Who, page: PageNumber = 1) -> HTMLResponse:
        worklist, pager = paged("closure_worklist", who, Page(page, settings.rows_per_page))
        return render(
            request,
            "closure.html.j2",
            worklist=worklist,
            pager=pager,
            locked=snapshot.records("funds_locked", who),
        )

    @app.get("/quality")
    def quality(request: Request, who: Who) -> HTMLResponse:
        if not who.is_analyst:
            raise HTTPException(status_code=404)
        return render(
            request,
            "quality.html.j2",
            gates=snapshot.records("quality_gates", who),
            quarantine=snapshot.records("quarantine_summary", who),
        )

    @app.get("/search")
    def search(request: Request, who: Who, q: str = "") -> Response:
        matches = snapshot.records("search", who, q=q) if q.strip() else []
        exact = [m for m in matches if m["key"].upper() == q.strip().upper()]
        if len(exact) == 1 or len(matches) == 1:
            hit = (exact or matches)[0]
            where = "purchasers" if hit["kind"] == "purchaser" else "cases"
            return RedirectResponse(f"/{where}/{hit['key']}", status_code=303)
        return render(request, "search.html.j2", q=q, matches=matches)

    return app


def _totals(purchasers: list[dict]) -> dict[str, Decimal]:
    keys = ("case_value", "collections", "amount_due", "arrearage", "interest", "funds_locked")
    return {k: sum((p[k] or Decimal(0) for p in purchasers), Decimal(0)) for k in keys}


def _download_path(
    snapshot: Snapshot, code: str, period_end: date, revision: int, kind: str
) -> Path | None:
    """The published file of a statement revision, when the quarter's folder still holds it
    (a folder keeps the files its latest publication wrote)."""
    if kind not in DOWNLOADS:
        return None
    stem, suffix, _ = DOWNLOADS[kind]
    folder = snapshot.published_out_dir(BILLING_JOB, period_end)
    if folder is None:
        return None
    path = folder / (stem(code, period_end, revision) + suffix)
    return path if path.is_file() else None


def _available_downloads(
    snapshot: Snapshot, code: str, period_end: date, revision: int
) -> list[tuple[str, str]]:
    found = []
    for kind in DOWNLOADS:
        path = _download_path(snapshot, code, period_end, revision, kind)
        if path is not None:
            found.append((kind, path.name))
    return found
