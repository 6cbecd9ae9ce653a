"""The demo's inspection plan for the current year, read back through the CLI and the API.

No seed states an inspection of Sở Ngoại vụ, Sở Công Thương or xã Thuận Lộc by Sở KH&CN (seed
001's "Số cuộc kiểm tra do cơ quan chủ trì thực hiện: 04" counts the agency's own inspections of
its units, another record), so the demo carries a realistic plan (models/seed_demo/inspections.py)
that meets TT 26/2014 Art. 33: every agency by dossier, at least a third on site.
"""

from __future__ import annotations

import json
from datetime import date

from models.demo import load_demo
from models.users import create_user, issue_token
from tests.web_support import PASSWORD, bearer

TODAY = date(2026, 11, 24)


def test_the_demo_plans_a_third_on_site_and_records_what_was_held(session, rules, cli, client):
    first = load_demo(session=session, rules=rules, today=TODAY)
    assert first["inspections_planned"] > 0
    assert (first["inspections_held"], first["inspection_reports"]) == (4, 2)
    again = load_demo(session=session, rules=rules, today=TODAY)
    assert (again["inspections_planned"], again["inspections_held"]) == (0, 0)
    assert again["inspection_reports"] == 0

    shown = json.loads(
        cli("inspections", "show", "SKHCN", "2026", "--json", "--today", "2026-11-24").stdout
    )
    assert shown["warnings"] == [] and shown["onsite"] * 3 >= shown["required"]
    assert shown["planned"] == shown["required"] - 1  # all but the inspecting unit itself
    assert shown["decision"] == {"ref": "3026/QĐ-UBND", "issued_on": "2025-12-12"}
    rows = {r["agency"]: r for r in shown["inspections"]}
    assert (rows["SNGV"]["record_ref"], rows["SNGV"]["record_on"]) == ("01/BB-SKHCN", "2026-05-14")
    assert (rows["SNGV"]["report_ref"], rows["SNGV"]["report_status"]) == ("41/BC-SNgV", "done")
    assert (rows["SCT"]["report_due"], rows["SCT"]["report_status"]) == ("2026-08-18", "overdue")
    assert rows["SYT"]["status"] == "late" and rows["SXD"]["status"] == "not_held"
    assert "XTHUANLOC" not in rows  # closed on 30/6/2025: nothing to inspect in 2026

    admin = create_user(session=session, username="admin", password=PASSWORD, role="admin")
    token = issue_token(session=session, user=admin)
    api = client.get("/api/v1/inspectors/SKHCN/plans/2026", headers=bearer(token)).json()
    assert {k: api[k] for k in ("required", "planned", "onsite")} == {
        k: shown[k] for k in ("required", "planned", "onsite")
    }
    (sngv,) = client.get(
        "/api/v1/agencies/SNGV/cycles/2026/inspections", headers=bearer(token)
    ).json()
    assert (sngv["form"], sngv["report_on"]) == ("onsite", "2026-07-03")
