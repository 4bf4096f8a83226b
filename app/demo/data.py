"""People, topics and groups of the demo program (all on reserved test domains)."""

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

# The first advocate is the one whose login is printed: she is in the running pilot's
# group, so that the advocate pages show a pilot waiting for this week's feedback.
ADVOCATE_NAMES = [
    "Ana Alves", "Bruno Berg", "Chloe Chen", "Dario Diaz", "Eva Engel", "Femi Falade",
    "Greta Gross", "Hugo Hall", "Ines Ito", "Jonas Jung", "Kara Kim", "Liam Lenz",
    "Maya Moreau", "Nils Novak", "Olga Ortiz", "Pavel Petrov", "Quinn Quade", "Rosa Rossi",
    "Sven Stahl", "Tara Tan", "Uma Uhl", "Victor Vogel", "Wen Wu", "Yara Yilmaz", "Zoe Zimmer",
]
FIRST_ADVOCATE_GROUP = "Customer Success"

FEEDBACK_COMMENTS = [
    None, None, None,
    "Easy to share from my phone.",
    "More engineering content, please.",
    "The leaderboard keeps me going.",
    "Customers mentioned a post I shared. Nice!",
    "I would like captions in my own words more often.",
    "Too many posts this week; I only had time for two.",
    "The customer stories work best with my network.",
]
