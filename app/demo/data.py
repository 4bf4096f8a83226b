"""Names and links for the demo program (all on reserved test domains)."""

from app.models.enums import Role

TOPICS = [
    ("Engineering", "How we build: architecture, tooling, open source."),
    ("People & Culture", "Hiring, learning, life at the company."),
    ("Product", "Launches, roadmaps and customer stories."),
    ("Security", "Keeping customers and their data safe."),
    ("Industry", "The market we work in."),
]

GROUPS = ["Sales", "Engineering", "Marketing", "Customer Success"]

STAFF = [
    ("admin@chorus.test", "Ada Admin", Role.admin),
    ("marketer@chorus.test", "Mia Marketer", Role.marketer),
    ("mark@chorus.test", "Mark Content", Role.marketer),
    ("manager@chorus.test", "Max Manager", Role.manager),
    ("paula@chorus.test", "Paula Programme", Role.manager),
]

ADVOCATE_NAMES = [
    "Ana Alves", "Bruno Berg", "Chloe Chen", "Dario Diaz", "Eva Engel", "Femi Falade",
    "Greta Gross", "Hugo Hall", "Ines Ito", "Jonas Jung", "Kara Kim", "Liam Lenz",
    "Maya Moreau", "Nils Novak", "Olga Ortiz", "Pavel Petrov", "Quinn Quade", "Rosa Rossi",
    "Sven Stahl", "Tara Tan", "Uma Uhl", "Victor Vogel", "Wen Wu", "Yara Yilmaz", "Zoe Zimmer",
]

POST_IDEAS = [
    ("How we cut our build times in half", "https://blog.example.com/faster-builds"),
    ("What a good on-call rotation looks like", "https://engineering.example.org/on-call"),
    ("The state of remote work in 2026", "https://research.example.net/remote-2026"),
    ("Our new analytics dashboard is live", "https://www.example.com/launch/dashboard"),
    ("Ten lessons from a year of pair programming", "https://dev.example.org/pairing"),
    ("Why zero-trust networking matters", "https://security.example.com/zero-trust"),
    ("Meet the team behind our mobile app", "https://www.example.com/people/mobile"),
    ("A practical guide to accessible design", "https://design.example.org/a11y"),
    ("Customer story: shipping twice as fast", "https://www.example.com/stories/fast"),
    ("Webinar: scaling PostgreSQL", "https://events.example.com/webinar-postgres"),
    ("Industry report: SaaS pricing trends", "https://analysts.example.net/pricing"),
    ("We are hiring engineers in Lisbon", "https://jobs.example.com/lisbon"),
    ("How to run a blameless postmortem", "https://sre.example.org/postmortems"),
    ("Open-sourcing our feature-flag library", "https://github.example.com/flags"),
    ("Autumn launch: 20% off annual plans", "https://www.example.com/offers/autumn"),
    ("Five habits of effective remote teams", "https://hbr.example.org/remote-habits"),
    ("Passwordless sign-in, explained", "https://security.example.com/passkeys"),
    ("Our learning budget, one year on", "https://www.example.com/people/learning"),
    ("The hidden cost of technical debt", "https://journal.example.net/tech-debt"),
    ("Product update: faster search", "https://www.example.com/updates/search"),
]
