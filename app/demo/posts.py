"""What the demo company shares: Kestrel, a (fictional) operations-analytics software maker.

Each post is written for its category (CONTRACT §3): curated posts are other publications'
articles, owned posts are Kestrel's own non-promotional writing (engineering blog, customer
stories, culture), promotional posts sell something and say so (a launch, a trial, an offer,
an event to sign up for). Every address is on a reserved ``.example`` domain.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.models.enums import Category

COMPANY = "Kestrel"
COMPANY_SITE = "https://kestrel.example"

HASHTAGS = {
    "Engineering": "#engineering",
    "People & Culture": "#futureofwork",
    "Product": "#productmanagement",
    "Security": "#infosec",
    "Industry": "#logistics",
}


@dataclass(frozen=True)
class Idea:
    """A post as the marketer writes it: the article, its topics, and a line to share it
    with (``take``), which the captions are built from."""

    title: str
    summary: str
    url: str
    topics: tuple[str, ...]
    take: str
    campaign: str | None = None


def _ours(path: str) -> str:
    return f"{COMPANY_SITE}/{path}"


CURATED = [
    # Engineering
    Idea("The real cost of flaky tests, measured across 400 repositories",
         "A study of CI logs finds flaky tests eat 6% of engineering time, and shows which "
         "fixes pay back first.",
         "https://stackreview.example/flaky-tests-cost", ("Engineering",),
         "Numbers for anyone asking for time to fix the test suite."),
    Idea("Postgres 18 in production: a field report from three large teams",
         "Asynchronous I/O, faster upgrades and the surprises nobody put in the release notes.",
         "https://infraweekly.example/postgres-18-field-report", ("Engineering",),
         "A calm, practical read before you plan the upgrade."),
    Idea("Why senior engineers should write more design docs, not fewer",
         "Short design documents catch the expensive mistakes while they are still cheap; "
         "the author shows the template that stuck.",
         "https://stackreview.example/design-docs", ("Engineering",),
         "I keep coming back to this one."),
    Idea("A practical guide to observability budgets",
         "Decide what to log, trace and keep before the monitoring bill decides for you.",
         "https://infraweekly.example/observability-budgets", ("Engineering",),
         "Good framework for the 'do we really need all these logs?' conversation."),
    Idea("The state of platform engineering: this year's survey",
         "A survey of 1,800 engineers on internal developer platforms: what teams built, "
         "bought and regretted.",
         "https://platformsurvey.example/report", ("Engineering",),
         "Interesting data on what internal platforms really deliver."),
    Idea("What the year's biggest outage post-mortems have in common",
         "Configuration pushes, expired certificates and retries that made things worse: "
         "a reading list with the lessons pulled out.",
         "https://infraweekly.example/outage-postmortems", ("Engineering",),
         "Required reading for anyone on call."),
    Idea("Rust at the edge: lessons from moving latency-critical services",
         "Three companies moved hot paths to Rust. Tail latency improved; hiring and build "
         "times were the real work.",
         "https://stackreview.example/rust-at-the-edge", ("Engineering",),
         "An honest look at the trade-offs, not a hype piece."),
    Idea("What makes a code review useful? A study of 90,000 comments",
         "Researchers classified review comments and found which kinds lead to better code "
         "and which only slow teams down.",
         "https://softwareresearch.example/code-review-study", ("Engineering",),
         "Worth sharing with every team that reviews code."),
    # Security
    Idea("Passkeys one year on: adoption data from 60 million sign-ins",
         "Sign-in success went up and support tickets went down; account recovery is still "
         "the weak spot.",
         "https://securewire.example/passkeys-adoption", ("Security",),
         "Encouraging numbers for passwordless sign-in."),
    Idea("Supply-chain attacks doubled last year. Here is where they start",
         "Compromised maintainer accounts and typo-squatted packages top the list; pinning "
         "and provenance checks stop most of them.",
         "https://threatledger.example/supply-chain-attacks", ("Security",),
         "A clear summary of where software supply-chain risk really comes from."),
    Idea("Zero trust, explained without the buzzwords",
         "What changes when the network is no longer trusted, in plain language, with a "
         "staged plan for mid-size companies.",
         "https://securewire.example/zero-trust-explained", ("Security",),
         "The clearest explanation of zero trust I have read."),
    Idea("The most common cloud misconfigurations, ranked",
         "Open storage buckets still lead, but over-privileged service accounts are "
         "catching up fast.",
         "https://threatledger.example/cloud-misconfigurations", ("Security",),
         "A useful checklist for anyone running infrastructure."),
    Idea("What the EU's cyber-resilience rules mean for software vendors",
         "Security updates for the product's lifetime, vulnerability reporting within 24 "
         "hours, and a timeline for getting ready.",
         "https://securewire.example/cyber-resilience-act-guide", ("Security", "Industry"),
         "If you sell software in Europe, this is coming for you."),
    Idea("Phishing simulations do not work the way we think, a new study finds",
         "Tracking 19,000 employees over a year, researchers found that training right after "
         "a simulated click barely changed behaviour.",
         "https://securewire.example/phishing-simulation-study", ("Security",),
         "Surprising findings on security awareness training."),
    Idea("How attackers abuse OAuth consent screens",
         "A walk-through of consent phishing, the scopes to watch and how to review which "
         "apps your people have authorised.",
         "https://threatledger.example/oauth-consent-abuse", ("Security",),
         "Worth ten minutes of every admin's time."),
    # Product
    Idea("The best product teams say no more often, and how they do it",
         "Interviews with twelve product leaders on saying no to customers without losing "
         "them.",
         "https://productcraft.example/saying-no", ("Product",),
         "Saying no well is a skill. Good examples in here."),
    Idea("Dashboards nobody reads: a study of 10,000 business-intelligence reports",
         "Most dashboards are opened fewer than three times; the ones that last answer one "
         "question for one team.",
         "https://dataeconomy.example/dashboards-nobody-reads", ("Product",),
         "A humbling read for anyone who builds dashboards."),
    Idea("A practical guide to accessible data visualisation",
         "Colour, contrast, labels and screen readers: how to make charts that everyone can "
         "read.",
         "https://designnotes.example/accessible-charts", ("Product",),
         "Bookmark this before your next chart."),
    Idea("Onboarding that sticks: what 200 software companies do in the first week",
         "Checklists, templates and one early win: the patterns behind products people keep "
         "using.",
         "https://productcraft.example/onboarding-first-week", ("Product",),
         "Great patterns for the first week of a new user."),
    Idea("Why product analytics is moving into the data warehouse",
         "Teams are dropping separate analytics silos and querying events where the rest of "
         "their data lives.",
         "https://dataeconomy.example/warehouse-native-analytics", ("Product", "Industry"),
         "A shift we see with many of the teams we talk to."),
    Idea("Jobs to be done, ten years later: what held up",
         "A look back at the framework's promises, with examples of where it helped and "
         "where it was stretched too far.",
         "https://productcraft.example/jobs-to-be-done-ten-years", ("Product",),
         "A fair and thoughtful retrospective."),
    Idea("Designing for the operations floor: field notes from warehouses and depots",
         "Gloves, glare and ten-second attention spans: what designers learned watching "
         "software used on the floor.",
         "https://designnotes.example/operations-floor", ("Product",),
         "Design research from the places our customers work."),
    # People & Culture
    Idea("Four-day weeks, two years in: results from the largest trial yet",
         "Output held steady and resignations fell; the companies that struggled changed "
         "hours without changing meetings.",
         "https://workfutures.example/four-day-week-results", ("People & Culture",),
         "Fascinating results, and the caveats matter."),
    Idea("Remote onboarding: what the research says actually helps new hires",
         "A buddy, a written first-month plan and early feedback beat any welcome pack.",
         "https://peopleops.example/remote-onboarding-research", ("People & Culture",),
         "Simple, evidence-based advice for welcoming new colleagues."),
    Idea("Five habits of effective distributed teams",
         "Writing things down, overlapping hours and deliberate social time, with examples "
         "from teams across nine time zones.",
         "https://peopleops.example/distributed-team-habits", ("People & Culture",),
         "Habits we try to practise every day."),
    Idea("Mentoring versus sponsorship, and why the difference matters",
         "Mentors give advice; sponsors spend their reputation on you. Careers need both.",
         "https://workfutures.example/mentoring-and-sponsorship", ("People & Culture",),
         "A distinction every manager should know."),
    Idea("Learning budgets: who uses them, and who is left out",
         "Data from 40 companies shows budgets go unused by the people they were meant for, "
         "and what fixes that.",
         "https://peopleops.example/learning-budgets-data", ("People & Culture",),
         "Good data on making learning budgets fair."),
    Idea("The quiet return of the apprenticeship in tech",
         "Paid apprenticeships are back as companies look beyond degrees for engineers and "
         "analysts.",
         "https://workfutures.example/tech-apprenticeships", ("People & Culture",),
         "More paths into tech is good news."),
    Idea("Writing well at work is a career skill. Here is how to practise it",
         "Short documents, clear asks and the one-page memo, with exercises you can do in a "
         "week.",
         "https://peopleops.example/writing-at-work", ("People & Culture",),
         "Practical advice that would make most of our inboxes better."),
    # Industry
    Idea("Freight volumes are recovering. What the numbers say about next year",
         "Container and road freight indices turned up this quarter; analysts expect "
         "capacity to tighten by spring.",
         "https://marketpulse.example/freight-outlook", ("Industry",),
         "A clear read on where freight is heading."),
    Idea("Industry report: how mid-size companies spend on data this year",
         "Budgets are growing, but more of the money goes to people and less to new tools.",
         "https://dataeconomy.example/data-spend-report", ("Industry",),
         "Useful benchmarks for anyone planning next year's budget."),
    Idea("Nearshoring, one year later: winners and losers",
         "Moving production closer to customers cut lead times for some and raised costs "
         "for others.",
         "https://marketpulse.example/nearshoring-one-year-later", ("Industry",),
         "A balanced look at a trend everyone talks about."),
    Idea("AI in operations: where the returns are real, and where they are not",
         "Forecasting and routing show solid gains; fully automated planning is still "
         "mostly slideware.",
         "https://dataeconomy.example/ai-in-operations-returns", ("Industry",),
         "Refreshingly sober about what AI does in operations today."),
    Idea("Why warehouse automation projects stall",
         "Integration, data quality and change management, not robots, decide whether "
         "automation pays off.",
         "https://marketpulse.example/warehouse-automation-stalls", ("Industry",),
         "The bottleneck is rarely the robots."),
    Idea("The data-residency map is getting complicated",
         "Where customer data may live now depends on the country, the sector and the kind "
         "of data.",
         "https://dataeconomy.example/data-residency-map", ("Industry", "Security"),
         "A helpful map of a messy topic."),
    Idea("Sustainability reporting becomes mandatory: what operations teams must track",
         "Emissions per shipment, energy per site and supplier data move from nice-to-have "
         "to audited.",
         "https://marketpulse.example/sustainability-reporting-operations", ("Industry",),
         "Operations teams will own a lot of this data."),
]

OWNED = [
    # Engineering
    Idea("How we cut our build times in half with remote caching",
         "Our monorepo builds went from 22 to 10 minutes: the cache design, the surprises, "
         "and what we would do differently.",
         _ours("blog/faster-builds"), ("Engineering",),
         "Our build team wrote up how they halved build times."),
    Idea("Inside Kestrel's on-call: fewer pages, better sleep",
         "We cut pages by 60% in a year by deleting alerts, writing runbooks and paying "
         "for on-call properly.",
         _ours("blog/on-call"), ("Engineering",),
         "How our engineers made on-call humane."),
    Idea("Open-sourcing flagpole, our feature-flag library",
         "The library behind every Kestrel release is now open source under the MIT "
         "licence: why we built it and how it works.",
         _ours("blog/flagpole-open-source"), ("Engineering",),
         "We just open-sourced one of our internal tools."),
    Idea("Migrating three billion rows without downtime: our playbook",
         "Dual writes, backfills and a careful cut-over: the steps we followed and the two "
         "that almost went wrong.",
         _ours("blog/zero-downtime-migration"), ("Engineering",),
         "A detailed write-up from our data team."),
    # Security
    Idea("What two years of bug-bounty reports taught us",
         "142 reports, 31 valid findings and one we still talk about: lessons from running "
         "our programme.",
         _ours("blog/bug-bounty-lessons"), ("Security",),
         "Our security team on what researchers found."),
    Idea("Our SOC 2 journey: the controls that were harder than expected",
         "Access reviews and vendor management took longer than encryption; here is what we "
         "would tell our past selves.",
         _ours("blog/soc2-journey"), ("Security",),
         "An honest account of our audit."),
    Idea("Encrypting customer data per tenant: design notes",
         "Why every customer gets its own keys, how rotation works, and what it cost in "
         "performance.",
         _ours("blog/per-tenant-encryption"), ("Security",),
         "How we keep each customer's data separate."),
    # Product
    Idea("Customer story: how Nordhavn Freight cut late deliveries by a third",
         "Nordhavn's planners combined yard, route and weather data to spot late trucks "
         "before they left the depot.",
         _ours("customers/nordhavn-freight"), ("Product",),
         "Proud of what the Nordhavn team achieved."),
    Idea("What we learned from 120 customer interviews this year",
         "The themes that came up again and again, and the three product decisions they "
         "changed.",
         _ours("blog/customer-interviews"), ("Product",),
         "Our product team shares what customers told us."),
    Idea("Behind the redesign of Kestrel's query editor",
         "Six prototypes, forty usability sessions and the one feature we removed.",
         _ours("blog/query-editor-redesign"), ("Product",),
         "A look behind the scenes of our design process."),
    Idea("Customer story: Alder Health's analysts now answer questions in minutes",
         "How a hospital group's analysts replaced weekly spreadsheet exports with live "
         "operational data.",
         _ours("customers/alder-health"), ("Product",),
         "A great example of data making a real difference."),
    # People & Culture
    Idea("Meet the Lisbon team: why we are growing engineering in Portugal",
         "Our newest office, the people who started it and what a week there looks like.",
         _ours("blog/lisbon-team"), ("People & Culture",),
         "Say hello to our Lisbon colleagues."),
    Idea("Our learning budget, one year on",
         "Who used it, for what, and why we now set time aside as well as money.",
         _ours("blog/learning-budget-year-one"), ("People & Culture",),
         "What a year of learning budgets looked like here."),
    Idea("A day with Kestrel's customer support team",
         "From the first ticket at 7:30 to the hand-over to Singapore: a day on the team "
         "our customers talk to most.",
         _ours("blog/day-in-support"), ("People & Culture",),
         "A day in the life of our support team."),
    Idea("How we write job descriptions that do not scare people off",
         "We cut requirement lists in half and saw more, and more varied, applicants.",
         _ours("blog/job-descriptions"), ("People & Culture",),
         "Small changes to how we hire, with results."),
    # Industry
    Idea("Our annual operations benchmark: what 900 companies' data tells us",
         "On-time rates, dwell times and forecast accuracy across industries, from "
         "anonymised, aggregated data.",
         _ours("research/operations-benchmark"), ("Industry",),
         "Our research team's annual benchmark is out."),
    Idea("Why we joined the Open Logistics Data initiative",
         "Shared formats for shipment events would save everyone work; here is what we are "
         "contributing.",
         _ours("blog/open-logistics-data"), ("Industry",),
         "Open standards matter for our industry."),
    Idea("Our CEO on building a calmer software company",
         "An interview on growth without burnout, saying no to deals, and why we publish "
         "our roadmap.",
         _ours("blog/calmer-company"), ("Industry",),
         "A thoughtful interview with our CEO."),
]

PROMOTIONAL = [
    Idea("Live webinar: scaling analytics pipelines with Kestrel. Register now",
         "Join our engineers for a live session with Q&A; seats are limited.",
         _ours("events/webinar-scaling-pipelines"), ("Engineering",),
         "Join our live webinar on scaling analytics pipelines and register today.",
         campaign="pipelines-webinar"),
    Idea("Kestrel Guard is here: try single sign-on and audit logs free for 30 days",
         "Start a free trial of Kestrel Guard: SSO, SCIM provisioning and audit logs for "
         "every plan.",
         _ours("guard/free-trial"), ("Security",),
         "Kestrel Guard just launched: start your free trial.",
         campaign="guard-launch"),
    Idea("Kestrel Insights 4.0 is live: book a demo of the new dashboards",
         "Faster queries, shared dashboards and alerts on any metric. Book a 20-minute "
         "demo with our team.",
         _ours("insights/book-a-demo"), ("Product",),
         "Insights 4.0 is out: book a demo and see it for yourself.",
         campaign="insights-4-launch"),
    Idea("20% off annual plans until the end of the month",
         "Switch to an annual plan before the month ends and save 20%, on every tier.",
         _ours("offers/annual-plans"), ("Product",),
         "20% off annual plans, this month only.",
         campaign="annual-plan-offer"),
    Idea("Join the Operations Analytics Summit online: free tickets for your team",
         "Two days of talks from operations leaders. Sign up for free tickets for your "
         "whole team.",
         _ours("events/operations-summit"), ("Industry",),
         "Sign up for the Operations Analytics Summit: tickets are free.",
         campaign="operations-summit"),
    Idea("Still planning in spreadsheets? Start a free trial of Kestrel Insights",
         "Connect your data in an afternoon. Free for 14 days, no credit card needed.",
         _ours("insights/free-trial"), ("Industry",),
         "Try Kestrel Insights free for 14 days.",
         campaign="insights-trial"),
]

# Links advocates suggest (CONTRACT §3): third-party articles, as the preview fetch reads them.
SUGGESTED = [
    Idea("The hidden cost of technical debt, in hours per week",
         "Developers estimate a quarter of their week goes to working around old code.",
         "https://stackreview.example/technical-debt-hours", ("Engineering",),
         "Our customers keep asking about this."),
    Idea("What logistics can learn from air-traffic control",
         "Shared situational awareness and strict hand-overs, applied to busy depots.",
         "https://marketpulse.example/air-traffic-lessons", ("Industry",),
         "Came up in three customer calls this month."),
    Idea("A field guide to running better retrospectives",
         "Formats that keep retros useful after the tenth one.",
         "https://peopleops.example/better-retrospectives", ("People & Culture",),
         "Our team tried two of these and liked them."),
    Idea("Inside a ransomware negotiation",
         "A negotiator describes the first 72 hours after an attack.",
         "https://securewire.example/ransomware-negotiation", ("Security",),
         "Gripping, and a good reminder to test our backups."),
]

CATALOGUE = {Category.curated: CURATED, Category.owned: OWNED,
             Category.promotional: PROMOTIONAL}


def captions(idea: Idea) -> dict[str, str]:
    """The marketer's captions: a line for any network, the summary too on LinkedIn, and a
    hashtag on X."""
    hashtag = HASHTAGS[idea.topics[0]]
    return {"default": idea.take, "linkedin": f"{idea.take}\n\n{idea.summary}",
            "x": f"{idea.take} {hashtag}"}
