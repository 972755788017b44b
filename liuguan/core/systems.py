"""What each of the six systems holds, and what of it exists yet. Pages say so plainly."""

from django.utils.translation import gettext_lazy as _

SYSTEM_PAGES = {
    "insight": {
        "title": _("Macro decision"),
        "summary": _("Dashboards, drill-down by area, trends, forecasts and monthly reports for the leadership."),
        "ready": [
            (_("Dashboards of every figure, drill-down from province to community, and how fresh"), "/insight/"),
            (_("Twelve-month forecasts with 80% and 95% bands and their back-test"), "/insight/"),
            (_("Monthly reports (Excel and PDF), on demand and on the 1st of each month"), "/insight/reports/"),
        ],
        "coming": [],
    },
    "oversight": {
        "title": _("Municipal management"),
        "summary": _("Data quality measured per area and per collector, scorecards, trace-back and feedback."),
        "ready": [
            (
                _("Scorecards per collector, collection point, community, street, county and city"),
                "/oversight/scorecard/",
            ),
            (_("Spot checks and the error rate with its interval"), "/oversight/checks/"),
            (_("Feedback tasks to the collector who set a wrong field"), "/oversight/feedback/"),
            (_("Omission rate by capture-recapture, and the people to follow up"), "/oversight/omissions/"),
            (_("Verification sweeps"), "/oversight/sweeps/"),
            (_("Grid supervision: yellow and red cards per unit"), "/grid/supervision/"),
            (_("Joint cases and recurring joint plans"), "/grid/plans/"),
        ],
        "coming": [],
    },
    "exchange": {
        "title": _("Department exchange"),
        "summary": _("35 departments share through one audited hub with grants, feeds and webhooks."),
        "ready": [
            (_("Department members, data catalogue and grants"), "/exchange/"),
            (_("Verification and query APIs, change feeds, webhooks, bulk extracts"), "/exchange/subscriptions/"),
            (_("Assist-investigation bulletins and offence notices"), "/exchange/bulletins/"),
        ],
        "coming": [],
    },
    "outflow": {
        "title": _("Outflow population"),
        "summary": _("Origin and destination areas manage their people together; every person has a trajectory."),
        "ready": [
            (_("Outflow registry per township and village, with whereabouts unknown flagged"), "/outflow/"),
            (_("Outflow list with filters and CSV export"), "/outflow/records/"),
            (_("Report someone gone"), "/outflow/records/new/"),
            (_("Reconciliation of outflows and inflows, per origin area"), "/outflow/reconciliation/"),
            (_("Reconciliation tasks of the origin office"), "/outflow/tasks/"),
            (_("Expected arrivals announced by origin instances"), "/outflow/expected/"),
            (_("Offence notices and bulletin hits from other instances"), "/outflow/notices/"),
            (_("Flow matrix: origin by destination, per period"), "/outflow/flows/"),
            (_("Signed exchange between Liuguan instances: peers, outbox, inbox"), "/federation/"),
        ],
        "coming": [],
    },
    "collection": {
        "title": _("Municipal collection"),
        "summary": _("Field registration, batch import and departures, with quality built in at entry."),
        "ready": [
            (_("Register a person with a stay (live validation, likely-duplicate warnings)"), "/registry/people/new/"),
            (_("Houses"), "/registry/places/houses/"),
            (_("Employers"), "/registry/places/employers/"),
            (_("Lodgings"), "/registry/places/lodgings/"),
            (_("Batch import from Excel or CSV"), "/collection/import/"),
            (_("A worker's day: every task by deadline, on a phone"), "/grid/today/"),
            (_("Grid events: report, route, dispose, feed back"), "/grid/"),
        ],
        "coming": [],
    },
    "registry": {
        "title": _("District management"),
        "summary": _("People, houses, employers and their stays; residence permits, rights and duties."),
        "ready": [
            (_("Search people by document number, name or pinyin"), "/registry/people/"),
            (_("Person pages with stays over time and who set each field"), "/registry/people/"),
            (_("Tenancy filings, landlords', employers' and hotels' reports, disagreements"), "/compliance/"),
            (_("Responsibility agreements, renewal reminders, breaches and coverage"), "/compliance/agreements/"),
            (_("Foreigners whose visa or residence document expires"), "/compliance/foreigners/"),
            (_("Classified management: rules and tiers"), "/compliance/classification/"),
            (_("Residence permits: applications, decisions, printing with a QR code, endorsements"), "/permits/"),
            (
                _("Children's schooling: schools, applications with eligibility, public/private shares, transfers"),
                "/livelihood/schooling/",
            ),
            (_("Legal aid: the network per area, requests to the nearest unit, deadlines"), "/livelihood/legalaid/"),
            (_("Associations: hometown associations, workers' clubs, volunteers, tasks"), "/livelihood/associations/"),
            (_("Work and training: job seekers, courses, completions"), "/livelihood/welfare/"),
        ],
        "coming": [],
    },
}
