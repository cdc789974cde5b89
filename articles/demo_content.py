"""The demo newsroom as data: sections, authors, tags and a dozen articles about Harbourton.

Everything here is invented: Harbourton, its river Wend, its council, its people and its
football club. `manage.py seed_demo` turns it into rows, images and users; keys are slugs so
that seeding twice finds what the first run made. Links point at `.example` addresses, which
are reserved and never resolve.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoSection:
    slug: str
    name: str
    description: str
    order: int


@dataclass(frozen=True)
class DemoAuthor:
    slug: str
    name: str
    bio: str
    colour: str  # background of the drawn portrait
    user_email: str = ""  # links the author to this account when it exists


@dataclass(frozen=True)
class DemoTag:
    slug: str
    name: str


@dataclass(frozen=True)
class Picture:
    """A picture to draw and upload, with what the newsroom must know to publish it."""

    name: str  # the uploaded file's name, unique across the demo
    scene: str  # see articles.management.demo_pictures.SCENES
    palette: tuple[str, ...]
    alt_text: str
    caption: str
    credit: str
    copyright_holder: str


@dataclass(frozen=True)
class Text:
    """A text block. Each chunk is a paragraph; "## …" is a sub-heading, a tuple a list."""

    chunks: tuple


@dataclass(frozen=True)
class Figure:
    picture: Picture
    layout: str = "standard"


@dataclass(frozen=True)
class PullQuote:
    text: str
    attribution: str


@dataclass(frozen=True)
class Break:
    """The paywall break: everything after it is for entitled readers only."""


@dataclass(frozen=True)
class DemoArticle:
    slug: str
    headline: str
    standfirst: str
    section: str
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    access: str  # "free", "metered" or "subscribers"
    lead: Picture
    body: tuple
    state: str = "published"  # "published", "scheduled" or "draft"
    # Published: days before today and the local time of day. Scheduled: days after today.
    days: int = 0
    time: str = "09:00"
    updated_hours_later: float = 0  # shows "Updated …" on the page when above a quarter hour
    seo_description: str = ""


def text(*chunks) -> Text:
    return Text(chunks=chunks)


SECTIONS = [
    DemoSection(
        "politics",
        "Politics",
        "City hall, the council chamber and the decisions that shape Harbourton.",
        10,
    ),
    DemoSection(
        "business",
        "Business",
        "Jobs, shops, the port and the money that moves through the city.",
        20,
    ),
    DemoSection(
        "climate",
        "Climate",
        "Floods, the estuary, energy and how Harbourton is adapting to a changing coast.",
        30,
    ),
    DemoSection(
        "culture",
        "Culture",
        "Music, film, theatre and the people who keep the city's stages lit.",
        40,
    ),
    DemoSection(
        "sport",
        "Sport",
        "Harbourton Rovers, the river clubs and everyone who runs, rows or kicks a ball.",
        50,
    ),
]

JOURNALIST_EMAIL = "journalist@example.com"
EDITOR_EMAIL = "editor@example.com"

AUTHORS = [
    DemoAuthor(
        "maren-holt",
        "Maren Holt",
        "Maren Holt covers city hall and housing. She has reported on Harbourton's council "
        "for nine years and still reads every planning application.",
        "#2f6f8f",
        user_email=JOURNALIST_EMAIL,
    ),
    DemoAuthor(
        "tobias-achterberg",
        "Tobias Achterberg",
        "Tobias Achterberg is the business editor. Before journalism he spent six years as "
        "an accountant in the port, which is why he reads the footnotes first.",
        "#8f5a2f",
    ),
    DemoAuthor(
        "priya-castellane",
        "Priya Castellane",
        "Priya Castellane writes about the climate, the coast and the estuary. She trained "
        "as a marine biologist and dives in the Saltings most summers.",
        "#3f7f4f",
    ),
    DemoAuthor(
        "declan-fairweather",
        "Declan Fairweather",
        "Declan Fairweather covers culture and sport, often on the same evening. He has "
        "missed one Harbourton Rovers home game since 2011.",
        "#6f3f8f",
    ),
]

TAGS = [
    DemoTag("city-council", "City council"),
    DemoTag("housing", "Housing"),
    DemoTag("transport", "Transport"),
    DemoTag("harbour", "The harbour"),
    DemoTag("flooding", "Flooding"),
    DemoTag("small-business", "Small business"),
    DemoTag("arts", "The arts"),
    DemoTag("football", "Football"),
]

ARTICLES = [
    DemoArticle(
        slug="council-backs-harbour-front-plan-by-one-vote",
        headline="Council backs harbour-front plan by a single vote after six-hour meeting",
        standfirst=(
            "Harbourton's 30-year plan for the old quays allows 2,400 homes and a riverside "
            "park, but the flood wall it depends on has not yet been paid for."
        ),
        section="politics",
        authors=("maren-holt", "tobias-achterberg"),
        tags=("city-council", "harbour", "housing"),
        access="metered",
        days=1,
        time="07:15",
        updated_hours_later=3,
        lead=Picture(
            name="old-quays-at-dusk.jpg",
            scene="skyline",
            palette=("#1d2b53", "#e9806e", "#2b2f3a", "#f4c06a"),
            alt_text="Cranes and warehouses on Harbourton's old quays at dusk, reflected in "
            "the river Wend",
            caption="The old quays, where the plan allows 2,400 homes over three decades",
            credit="Harbour Lens/Ola Brandt",
            copyright_holder="Harbour Lens Ltd",
        ),
        body=(
            text(
                "Harbourton City Council approved a 30-year plan for the old quays shortly "
                "before midnight, by 24 votes to 23, after a meeting that ran for more than six "
                "hours and drew the largest public gallery the chamber has seen in a decade.",
                "The Harbour-Front Framework sets out where 2,400 homes, a riverside park, a "
                "primary school and a crossing for pedestrians and cyclists may be built on "
                "land that was used for timber storage and ship repair until the 1990s. It does "
                "not grant planning permission itself, but it will guide every application "
                "made on the 41-hectare site.",
                "Councillor Rowena Stallard, the council leader, said the vote ended "
                "<em>twenty years of talking about the quays instead of building on them</em>. "
                "Her Civic Party group voted for the plan with two independents; the Harbourton "
                "Independents and one Civic Party member voted against.",
                "The deciding vote was cast by Councillor Ewan Tregarthen, who had said in the "
                "morning that he was undecided. He told the chamber he had been persuaded by a "
                "late amendment requiring a third of the homes on each plot to be let at "
                "social rents.",
            ),
            Break(),
            text(
                "## Flood defences still to be paid for",
                "Opponents focused on the riverside, which has flooded twice in the last five "
                "winters. The framework assumes that a raised flood wall will run the length of "
                "the quays before anyone moves in, but its estimated £38m cost is not in the "
                "council's capital programme, and a bid for national funding will not be "
                "decided until next year.",
                "\u201cWe are being asked to approve homes on the promise of a wall that nobody "
                "has agreed to pay for,\u201d said Councillor Idris Mallory, who leads the "
                "Harbourton Independents. \u201cIf the money doesn't come, either the homes "
                "don't get built or they get built without protection. Neither is a plan.\u201d",
                "Council officers said no home could be occupied until the flood wall on the "
                "stretch in front of it was complete, and that developers would be expected to "
                "contribute to its cost through planning agreements. They estimated that those "
                "contributions could cover between a quarter and a third of the total.",
            ),
            Figure(
                Picture(
                    name="council-chamber-queue.jpg",
                    scene="civic",
                    palette=("#14213d", "#9a3b2f", "#fca311", "#e5e5e5"),
                    alt_text="People with umbrellas queueing outside a red-brick civic "
                    "building on a wet evening",
                    caption="Residents queued in the rain for a seat in the public gallery",
                    credit="Newsroom/Ines Valdermoor",
                    copyright_holder="The Daily Newsroom",
                )
            ),
            text(
                "## What residents asked for",
                "More than 60 residents had registered to speak. Several from the Eastmoor "
                "estate, which overlooks the quays, asked for the park to be built first rather "
                "than last; others said the new crossing should open before the first homes are "
                "occupied, to keep traffic off the Swing Bridge.",
                "Margaret Oyelaran, who has lived on Eastmoor for 31 years, said she welcomed "
                "new homes but wanted guarantees. \u201cWe've seen pictures of parks before,"
                "\u201d she said. \u201cBuild the park, then I'll believe the rest.\u201d",
            ),
            PullQuote(
                "We've seen pictures of parks before. Build the park, then I'll believe the rest.",
                "Margaret Oyelaran, Eastmoor resident",
            ),
            text(
                "## What happens next",
                "The first applications, for about 300 homes on the eastern plots beside Cable "
                "Street, are expected in the spring. The council will publish a timetable for "
                "the flood wall alongside its budget in February, and the framework documents "
                'are on the <a href="https://harbourton.example/planning/harbour-front">'
                "council's planning pages</a>.",
                "The plan will be reviewed every five years. Any change to the share of "
                "social-rent homes would need another vote of the full council, which Mallory "
                "said his group would seek at the first opportunity.",
            ),
        ),
    ),
    DemoArticle(
        slug="ferry-fares-rise-to-close-transport-gap",
        headline="Ferry fares to rise by 8% as transport authority tries to close £4m gap",
        standfirst=(
            "A single crossing on the Wend ferry will cost £2.70 from April, and evening "
            "sailings may be cut if the shortfall is not closed by the summer."
        ),
        section="politics",
        authors=("maren-holt",),
        tags=("transport", "city-council"),
        access="metered",
        days=4,
        time="11:40",
        lead=Picture(
            name="wend-ferry.jpg",
            scene="ferry",
            palette=("#9fb8c8", "#4a6478", "#1f4e79", "#f1f1f1"),
            alt_text="A small blue and white passenger ferry crossing a grey river towards a "
            "wooden pier",
            caption="The cross-river ferry carries about 1.2 million passengers a year",
            credit="Northgate Press/Ines Valdermoor",
            copyright_holder="Northgate Press",
        ),
        body=(
            text(
                "The price of a single crossing on the Wend ferry will rise from £2.50 to £2.70 "
                "in April, the Harbourton Transport Authority confirmed, the largest increase "
                "since the service was taken back into public ownership eleven years ago.",
                "Season tickets will rise by a smaller amount, from £61 to £64 a month, and "
                "concessionary fares for pensioners and under-18s are frozen. The authority "
                "expects the changes to raise about £1.1m a year, a little over a quarter of "
                "the £4m gap it faces in its operating budget.",
                "Gareth Linden, the authority's chief executive, said fuel, insurance and the "
                "cost of maintaining two ageing vessels had all risen faster than passenger "
                "numbers, which have still not returned to their level of six years ago.",
                "Passengers on the morning crossing from the north bank were mostly resigned. "
                "Several said the ferry was still cheaper and quicker than driving round by the "
                "Swing Bridge and paying to park, but that they would think again if the price "
                "kept rising at this rate.",
            ),
            text(
                "## Evening sailings under review",
                "The rest of the gap is to be closed through savings, and the authority has "
                "asked its board to consider ending sailings after 9pm from Sunday to Thursday. "
                "About 400 passengers a night use those sailings, many of them hospital and "
                "hospitality workers finishing late shifts on the north bank.",
                "Nurses at Wendside General Hospital have started a petition against the cut, "
                "which had gathered more than 3,000 signatures by the end of the week. Its "
                "organiser, a theatre nurse who asked not to be named, said the alternative for "
                "many staff was a 40-minute bus journey via the Swing Bridge.",
            ),
            PullQuote(
                "Nobody on a night shift is choosing the ferry for the view. It is the only way "
                "home that takes less than an hour.",
                "Petition organiser, Wendside General Hospital",
            ),
            text(
                "## What the council can do",
                "The authority is funded partly by fares and partly by a grant from the city "
                "council, which has been frozen in cash terms for four years. Councillor Idris "
                "Mallory said the opposition would propose an amendment to the council's budget "
                "raising the grant by £1.5m, paid for by higher charges at the council's "
                "multi-storey car parks.",
                "The council leader, Councillor Rowena Stallard, said every part of the budget "
                "was under pressure and that the authority should first show what it could "
                "save by sharing maintenance contracts with the bus network. She did not rule "
                "out a larger grant.",
                "The board will decide on evening sailings at its next meeting. The fare "
                "changes themselves do not need further approval.",
            ),
        ),
    ),
    DemoArticle(
        slug="draft-budget-explained-eight-changes",
        headline="The council's draft budget, explained: eight changes you will notice",
        standfirst=(
            "Council tax, bin collections, library hours and parking all change under next "
            "year's proposals, which are open for comment until the end of the month."
        ),
        section="politics",
        authors=("tobias-achterberg",),
        tags=("city-council", "transport"),
        access="free",
        days=6,
        time="06:30",
        lead=Picture(
            name="budget-bars.jpg",
            scene="bars",
            palette=("#f4f1ea", "#264653", "#2a9d8f", "#e9c46a", "#e76f51"),
            alt_text="An illustration of coloured bars of different heights rising from left "
            "to right",
            caption="The council must close a gap of £11.6m in next year's budget",
            credit="Newsroom Graphics/Lin Marsh",
            copyright_holder="The Daily Newsroom",
        ),
        body=(
            text(
                "Harbourton City Council has published its draft budget for next year, and it "
                "has a gap of £11.6m to close. Most of the savings come from changes that "
                "residents will see in their streets, their bins and their bills.",
                "The proposals are not final. The council's cabinet will consider the "
                "responses to its consultation before the full council votes in February, "
                "and the opposition has said it will put forward an alternative budget.",
                "Here is what would change, and roughly what each change is worth.",
            ),
            text(
                "## The eight changes",
                (
                    "<strong>Council tax rises by 4.99%</strong>, the most allowed without a "
                    "local referendum. A Band D home would pay about £94 more a year.",
                    "<strong>Garden waste collections become fortnightly all year</strong> "
                    "instead of weekly in summer, saving £420,000.",
                    "<strong>Three branch libraries open four days a week</strong> rather "
                    "than six: Eastmoor, Fenwick Road and Saltmarsh Lane. The central library "
                    "keeps its hours.",
                    "<strong>On-street parking charges rise by 20p an hour</strong> in the "
                    "city centre, and evening charges start at 8pm instead of 6pm.",
                    "<strong>Street lights dim after midnight</strong> on residential roads, "
                    "though not on main roads or near the hospital.",
                    "<strong>The grant to the transport authority stays frozen</strong>, "
                    "which is one reason ferry fares are rising.",
                    "<strong>Two public toilets close</strong>, at Quay Gardens and Ropewalk "
                    "Park, unless community groups agree to run them.",
                    "<strong>Adult social care gets £3.2m more</strong>, the only large "
                    "increase in the budget, because demand has grown faster than forecast.",
                ),
            ),
            text(
                "## Why the gap is so large",
                "The council says three things account for most of the gap: the cost of care "
                "for older and disabled residents, higher energy bills for its buildings, and "
                "pay awards that were larger than the amount set aside for them. Government "
                "funding has risen, but by less than inflation.",
                "The council's reserves stand at about £19m, and the finance director has "
                "warned against using them to pay for day-to-day spending, because they could "
                "be used only once.",
                "## How to have your say",
                "The consultation runs until the last day of the month. You can respond on the "
                '<a href="https://harbourton.example/budget/consultation">council\'s budget '
                "pages</a>, at any library, or at two drop-in sessions at the Guildhall. Every "
                "response is read, the council says, and a summary will be published before "
                "the vote.",
            ),
        ),
    ),
    DemoArticle(
        slug="wendmouth-shipyard-wins-electric-ferry-contract",
        headline="Last shipyard on the Wend wins £46m contract to build electric ferries",
        standfirst=(
            "Wendmouth Marine will build four battery-powered vessels for a Scandinavian "
            "operator, securing 180 jobs and creating 40 apprenticeships."
        ),
        section="business",
        authors=("tobias-achterberg",),
        tags=("harbour",),
        access="subscribers",
        days=2,
        time="13:05",
        lead=Picture(
            name="wendmouth-slipway.jpg",
            scene="shipyard",
            palette=("#cfd8dc", "#37474f", "#ff7043", "#263238"),
            alt_text="A large ship's hull under construction beneath an orange gantry crane",
            caption="The slipway at Wendmouth Marine, where the first hull will be laid in "
            "the autumn",
            credit="Harbour Lens/Ola Brandt",
            copyright_holder="Harbour Lens Ltd",
        ),
        body=(
            text(
                "Wendmouth Marine, the last shipbuilder on the river Wend, has won a £46m "
                "contract to build four battery-powered passenger ferries for a Norwegian "
                "coastal operator, the largest order in the yard's 112-year history.",
                "The contract secures the jobs of the yard's 180 workers for at least four "
                "years and allows it to take on 40 apprentices, the company said. The first "
                "hull will be laid in the autumn and the first vessel delivered two years "
                "later.",
                "Carys Oduya, the managing director, said the yard had beaten bidders from "
                "three other countries on delivery time and on its experience of fitting "
                "large battery systems, which it gained converting two harbour tugs.",
                "Each ferry will carry up to 300 passengers and 40 cars on routes of less than "
                "half an hour, charging from the shore at either end while vehicles load. The "
                "operator says the four vessels will replace diesel ferries that together burn "
                "about four million litres of fuel a year.",
            ),
            PullQuote(
                "Ten years ago people asked me when we would close. Now they ask how many "
                "apprentices we are taking on.",
                "Carys Oduya, managing director, Wendmouth Marine",
            ),
            text(
                "## A yard that nearly closed",
                "The order is a turnaround for a business that came close to closing a decade "
                "ago, when its workforce fell to 60 and its main customer, a dredging company, "
                "moved its maintenance abroad. A management buyout, backed by a regional "
                "investment fund, kept the yard open and shifted its focus to repairs and "
                "conversions.",
                "Much of the work will go to local suppliers. The yard estimates that about "
                "£12m of the contract will be spent with businesses within 30 miles, including "
                "steel fabricators on the Cable Street industrial estate and an electrical "
                "engineering firm in Northgate.",
            ),
            Figure(
                Picture(
                    name="wendmouth-welders.jpg",
                    scene="welding",
                    palette=("#1b1b2f", "#3a3a5a", "#ffd166", "#0b0b14"),
                    alt_text="Sparks from welding light up the inside of a dark ship hangar",
                    caption="Welders at work on a harbour tug conversion, the job that "
                    "helped win the contract",
                    credit="Newsroom/Ines Valdermoor",
                    copyright_holder="The Daily Newsroom",
                ),
                layout="wide",
            ),
            text(
                "## Training the next welders",
                "The 40 apprenticeships will be run with Harbourton College, which is "
                "reopening a fabrication workshop that closed in 2014. Applications open next "
                "month, and the college says it wants at least a third of places to go to "
                "women, who make up fewer than one in ten of the yard's current staff.",
                "The council's economy lead described the contract as the best news for "
                "industrial jobs in the city for a generation. The yard will ask the council "
                "to extend its lease on the eastern slipway, which expires in six years, "
                "before the second half of the contract begins.",
                "Ms Oduya said the yard would bid for two similar contracts later this year, "
                "one of them for the cross-river ferry in Harbourton itself, whose two vessels "
                "are due for replacement within the decade. Winning both, she said, would "
                "keep the slipways busy until the mid-2030s.",
            ),
        ),
    ),
    DemoArticle(
        slug="old-market-street-traders-roadworks-footfall",
        headline="Old Market Street traders say roadworks have halved footfall",
        standfirst=(
            "Shop owners want business-rate relief and a firm end date for the tram-line "
            "works, which are now seven weeks behind schedule."
        ),
        section="business",
        authors=("tobias-achterberg", "maren-holt"),
        tags=("small-business", "transport"),
        access="metered",
        days=9,
        time="16:20",
        lead=Picture(
            name="old-market-street.jpg",
            scene="market",
            palette=("#fdf0d5", "#c1121f", "#003049", "#669bbc"),
            alt_text="A narrow shopping street with striped shop awnings behind orange "
            "roadwork barriers",
            caption="Barriers have narrowed Old Market Street to a single footpath since "
            "the autumn",
            credit="Northgate Press/Ines Valdermoor",
            copyright_holder="Northgate Press",
        ),
        body=(
            text(
                "Independent shops on Old Market Street say the number of people walking past "
                "their doors has halved since work began to lay tram lines along the street, "
                "and several say they will not survive another three months of it.",
                "The works were due to finish before Christmas but are now seven weeks behind "
                "schedule, after contractors found Victorian gas mains that were not on any "
                "map. The transport authority says the street should reopen fully at the end "
                "of next month.",
                "The Old Market Street Traders' Association counted passers-by outside four "
                "shops on three Saturdays, and compared the figures with the same weekends a "
                "year earlier. On average, footfall was down by 52%.",
                "At least two businesses have already gone. A shoe repairer who had traded on "
                "the street since the 1980s closed in January, and a new coffee shop that "
                "opened in the summer has put up a sign saying it will reopen when the "
                "barriers come down.",
            ),
            PullQuote(
                "I have baked bread on this street for 22 years. I can cope with a bad month. "
                "I cannot cope with not knowing when it ends.",
                "Bashir Kaleel, chair of the Old Market Street Traders' Association",
            ),
            text(
                "## Asking for rate relief",
                "The association has asked the council to waive business rates for the months "
                "the street has been affected, which it estimates would cost about £180,000. "
                "Its chair, Bashir Kaleel, who runs a bakery at the top of the street, said "
                "takings were down by a third and that he had cut his staff's hours.",
                "The council said it had discretionary powers to reduce rates for businesses "
                "in hardship, and that it would consider applications individually. It has "
                "also paid for signs at both ends of the street saying that shops are open.",
                "Traders say the signs have helped less than a simple change would: reopening "
                "the pedestrian crossing from the bus station, which has been closed since the "
                "works began and forces shoppers to walk an extra 300 metres.",
                "## The contractor's view",
                "The contractor said the discovery of the gas mains was outside its control and "
                "that the pipes had to be moved before the track could be laid. It said it had "
                "added weekend shifts to make up time, and that the crossing would reopen "
                "within a fortnight.",
                "When the trams run, the transport authority expects about 9,000 passengers a "
                "day to pass along Old Market Street, roughly double the number of people who "
                "walked along it before the works began. Mr Kaleel said that was the only "
                "thing keeping him going.",
            ),
        ),
    ),
    DemoArticle(
        slug="sea-wall-repairs-brought-forward-after-storms",
        headline="Sea wall repairs brought forward after winter storms expose weak sections",
        standfirst=(
            "Surveys after February's storms found hollows behind a 600-metre stretch of the "
            "Saltings sea wall, and engineers say the work cannot wait until 2028."
        ),
        section="climate",
        authors=("priya-castellane",),
        tags=("flooding", "harbour", "city-council"),
        access="subscribers",
        days=3,
        time="08:50",
        lead=Picture(
            name="saltings-sea-wall.jpg",
            scene="sea",
            palette=("#5c677d", "#979dac", "#0d3b66", "#7d8597"),
            alt_text="Grey waves breaking against a stone sea wall under a heavy sky",
            caption="The Saltings sea wall during February's storms",
            credit="Harbour Lens/Ola Brandt",
            copyright_holder="Harbour Lens Ltd",
        ),
        body=(
            text(
                "Repairs to the sea wall that protects about 1,400 homes in the Saltings "
                "district will begin this summer, four years earlier than planned, after "
                "surveys found that winter storms had washed out material from behind a "
                "600-metre stretch of it.",
                "Engineers used ground-penetrating radar along the top of the wall in March "
                "and found a series of hollows, some large enough for a person to stand in, "
                "where the sea had drawn out the clay and rubble that hold the stone facing in "
                "place.",
                "The council's harbour engineer, Tomasz Wielgosz, said the wall was not in "
                "danger of failing this year, but that another winter like the last could "
                "open a breach. \u201cWe found it in time,\u201d he said. \u201cThe point is to "
                "keep it that way.\u201d",
            ),
            Break(),
            text(
                "## What the repair involves",
                "The work will fill the hollows with concrete grout, replace about a fifth of "
                "the facing stones and add a row of rock armour at the foot of the wall to "
                "break the waves before they reach it. It is expected to take eight months, "
                "with the footpath along the top closed in sections.",
                "The estimated cost is £9.4m. The Coastal Resilience Board, which funds flood "
                "defences, has agreed to bring forward £7m it had set aside for 2028, and the "
                "council will borrow the rest.",
            ),
            Figure(
                Picture(
                    name="sea-wall-survey.jpg",
                    scene="sea",
                    palette=("#caf0f8", "#90e0ef", "#0077b6", "#adb5bd"),
                    alt_text="A long stone sea wall with a calm blue sea lapping against it",
                    caption="The stretch of the wall where the radar survey found hollows, "
                    "photographed at high tide in March",
                    credit="City of Harbourton/handout",
                    copyright_holder="Harbourton City Council",
                ),
            ),
            text(
                "## Why the storms did more damage",
                "The wall was built in the 1950s and raised in the 1980s. Mr Wielgosz said it "
                "had been designed for storms that arrived, on average, once every 50 years, "
                "and that Harbourton had now had three of them in twelve years.",
                "Higher sea levels mean that waves reach the wall more often and hit it higher "
                "up, where the stonework is thinner. The Saltings also lost much of the salt "
                "marsh in front of the wall when the harbour was dredged in the 1970s, removing "
                "a natural buffer that once took some of the energy out of the waves.",
            ),
            PullQuote(
                "We found it in time. The point is to keep it that way.",
                "Tomasz Wielgosz, harbour engineer, Harbourton City Council",
            ),
            text(
                "## Residents want a say on the footpath",
                "Residents of the Saltings welcomed the repairs but asked for the footpath, "
                "which is the main walking route to the primary school, to stay open at school "
                "times. The council said it would publish a closure timetable in May and hold "
                "a meeting at the community centre before work begins.",
                "Some residents also asked whether the repair would be enough. The Coastal "
                "Resilience Board is separately studying whether parts of the marsh could be "
                'restored; its <a href="https://coastal-resilience.example/saltings">'
                "consultation on the options</a> opens in the autumn.",
            ),
        ),
    ),
    DemoArticle(
        slug="saltings-survey-finds-more-seagrass",
        headline="Survey of the Saltings finds more seagrass than anyone expected",
        standfirst=(
            "Divers and drones mapped 14 hectares of seagrass meadow in the estuary, nearly "
            "twice the area recorded in 2009."
        ),
        section="climate",
        authors=("priya-castellane",),
        tags=("harbour", "flooding"),
        access="metered",
        days=12,
        time="10:10",
        lead=Picture(
            name="seagrass-meadow.jpg",
            scene="seagrass",
            palette=("#a8dadc", "#457b9d", "#1d3557", "#52b788"),
            alt_text="Long green blades of seagrass swaying in clear blue-green water",
            caption="Seagrass in the shallows of the Saltings, photographed at low tide",
            credit="Saltings Trust/Rhiannon Dewar",
            copyright_holder="Saltings Trust",
        ),
        body=(
            text(
                "The seagrass meadows in the Wend estuary cover almost twice the area they did "
                "15 years ago, according to the most detailed survey of the Saltings yet, a "
                "rare piece of good news for a coastline more often discussed in terms of "
                "what it is losing.",
                "Volunteers from the Saltings Trust spent last summer mapping the estuary with "
                "drones at low tide and with divers at high tide. They recorded 14 hectares of "
                "meadow, compared with 7.5 hectares in a survey carried out in 2009.",
                "Dr Hannah Fenwick, the trust's marine ecologist, said the main reason was "
                "probably cleaner water. The city's sewage works were upgraded a decade ago, "
                "and the amount of sediment and nutrients reaching the estuary has fallen "
                "since.",
                "The survey was the first to use drones in the estuary. Flying at low tide, "
                "they photographed the meadows from 40 metres up, and volunteers then checked "
                "the pictures against what divers found on the seabed, so that patches of "
                "green seaweed were not mistaken for seagrass.",
                "## Why seagrass matters",
                "Seagrass is a flowering plant that grows in shallow, sheltered water. Its "
                "meadows are nurseries for young fish, including bass and pollack, and they "
                "store carbon in the mud beneath them far faster than woodland of the same "
                "area.",
                "They also slow the water. Dense meadows take some of the energy out of waves "
                "before they reach the shore, which is why the trust wants them included in "
                "the city's plans for flood defences rather than treated as a separate, "
                "nature-only concern.",
                "\u201cA meadow won't stop a storm surge on its own,\u201d Dr Fenwick said. "
                "\u201cBut every wave that arrives a little weaker is a wave the sea wall "
                "doesn't have to take.\u201d",
                "## Moorings and anchors",
                "The survey also found bare patches in the meadow near the Quay Gardens "
                "moorings, where chains dragged by moored boats scour the seabed at every "
                "tide. The trust is asking boat owners to switch to floating moorings that "
                "keep chains off the bottom, and has raised money to pay for the first twenty.",
                "The harbour master said he supported the idea and would write to every "
                "mooring holder before the summer. Anchoring in the densest parts of the "
                "meadow may be discouraged with marker buoys, though not banned.",
                "The trust will repeat the survey in two years. Its maps and a guide to "
                "recognising seagrass from the shore are on the "
                '<a href="https://saltings-trust.example/seagrass">trust\'s website</a>.',
            ),
        ),
    ),
    DemoArticle(
        slug="lyric-picture-house-reopens",
        headline="Restored Lyric Picture House reopens with a programme chosen by its neighbours",
        standfirst=(
            "The 1928 cinema on Chandlery Row, closed for 19 years, has reopened after a "
            "£6.2m restoration paid for largely by donations from the people who live "
            "around it."
        ),
        section="culture",
        authors=("declan-fairweather",),
        tags=("arts",),
        access="metered",
        days=15,
        time="18:30",
        lead=Picture(
            name="lyric-facade.jpg",
            scene="stage",
            palette=("#22092c", "#872341", "#be3144", "#f05941"),
            alt_text="A deep red cinema auditorium with a lit screen and rows of empty seats",
            caption="The restored auditorium of the Lyric Picture House, which seats 480",
            credit="Newsroom/Ines Valdermoor",
            copyright_holder="The Daily Newsroom",
        ),
        body=(
            text(
                "For nineteen years the Lyric Picture House on Chandlery Row was a shuttered "
                "front with a faded sign and a pigeon problem. This weekend its doors opened "
                "again, to a queue that stretched past the corner, for a programme chosen by "
                "the people who saved it.",
                "The Lyric Trust, formed by residents in 2016, raised £6.2m to restore the "
                "1928 building, almost half of it in small donations. Every donor was given a "
                "vote on the first month of films, and the result is a programme that mixes "
                "silent comedies with musicals, a documentary about the harbour and, by "
                "popular demand, a double bill of sea monster films.",
                "The opening night was a screening of a silent comedy filmed partly on the "
                "Harbourton quays in 1926, with a new score played live by a quartet from the "
                "city's music college. Several people in the audience said they had been to "
                "the Lyric as children; one, now 91, said she had worked in its ticket kiosk "
                "during the war.",
            ),
            Figure(
                Picture(
                    name="lyric-ceiling.jpg",
                    scene="ceiling",
                    palette=("#3d0c11", "#d4a373", "#faedcd", "#9c6644"),
                    alt_text="Gold and cream plasterwork in circles and arcs on a cinema ceiling",
                    caption="The plaster ceiling, restored from photographs taken in 1931",
                    credit="Lyric Trust/Kasimir Oduya",
                    copyright_holder="Lyric Trust",
                ),
                layout="inset",
            ),
            text(
                "## A ceiling rebuilt from photographs",
                "The restoration kept the building's original shape: a single large "
                "auditorium with 480 seats, rather than the several small screens of a modern "
                "cinema. The plaster ceiling, which had partly collapsed, was recreated from "
                "photographs taken for a local newspaper in 1931.",
                "Oona Petrakis, the trust's director, said the decision to keep one large "
                "screen had been the most argued-over of the whole project. \u201cEveryone "
                "told us a single screen could not pay its way,\u201d she said. \u201cSo we "
                "made sure it wouldn't have to do it alone.\u201d",
                "The trust will let the auditorium for concerts, talks and school use during "
                "the day, and a cafe in the old projection suite will open from 8am. The trust "
                "says those will bring in about 40% of its income.",
                "The rest of the money will come from tickets and from a membership scheme that "
                "already has more than 2,000 members. The trust has no debt, which Ms Petrakis "
                "said was the reason it could afford to take risks with the programme.",
            ),
            PullQuote(
                "Everyone told us a single screen could not pay its way. So we made sure it "
                "wouldn't have to do it alone.",
                "Oona Petrakis, director, Lyric Trust",
            ),
            text(
                "## Tickets and access",
                "Tickets cost £7, or £4 for under-25s and anyone who lives in the two postcode "
                "districts around Chandlery Row. There is step-free access to the stalls, a "
                "hearing loop, and one relaxed screening each week with the lights half up "
                "and the sound lowered.",
                "The first month's programme and booking are on the "
                '<a href="https://lyric-harbourton.example/whats-on">Lyric\'s website</a>.',
            ),
        ),
    ),
    DemoArticle(
        slug="folk-weekend-returns-to-the-quays",
        headline="Harbourton Folk Weekend returns to the quays with a smaller, cheaper line-up",
        standfirst=(
            "Organisers have cut ticket prices by a third and moved the festival back to the "
            "waterfront after two loss-making years in Ropewalk Park."
        ),
        section="culture",
        authors=("declan-fairweather",),
        tags=("arts", "harbour"),
        access="free",
        days=18,
        time="12:00",
        lead=Picture(
            name="folk-weekend.jpg",
            scene="shapes",
            palette=("#fefae0", "#606c38", "#dda15e", "#bc6c25"),
            alt_text="An abstract pattern of warm orange and olive circles, like bunting and "
            "lanterns",
            caption="The festival's new poster artwork",
            credit="Harbourton Folk Weekend/Mira Castellan",
            copyright_holder="Harbourton Folk Weekend CIC",
        ),
        body=(
            text(
                "The Harbourton Folk Weekend will return to the old quays this summer, two "
                "years after it moved inland to Ropewalk Park, with fewer big names, cheaper "
                "tickets and, its organisers hope, more of the atmosphere that made it one of "
                "the city's best-loved events.",
                "A weekend ticket will cost £55, down from £85 last year, and children under "
                "12 go free. Day tickets are £30. The festival will run on two stages on the "
                "quayside and in three pubs along Ropewalk Lane, with free sessions on the "
                "harbour steps on both afternoons.",
                "Lewis Darrow, who founded the festival 26 years ago and returned to run it "
                "this year, said the move to the park had been a mistake. \u201cWe built a "
                "field festival in the middle of a city,\u201d he said. \u201cPeople came for "
                "the harbour, the pubs and the sessions on the steps, and we took all three "
                "away.\u201d",
                "## Why the move cost money",
                "The park site needed fencing, toilets, generators and security for every "
                "metre of its perimeter, costs that the festival's accounts show rose by "
                "£140,000 in the first year alone. Audiences also fell: about 6,000 people "
                "attended last year, compared with 9,500 on the quays before the move.",
                "The quays have their own complications. Part of the site is due to become a "
                "building plot under the council's harbour-front plan, and the festival's "
                "licence is for one year only. Darrow said he would rather have one good year "
                "on the water than three more in the park.",
                "## Who is playing",
                "The line-up leans on musicians from the city and the surrounding coast. The "
                "headliners are a ten-piece band of fiddlers from the islands and a choir "
                "formed by former shipyard workers, who sing the songs of the yards they "
                "worked in. A ceilidh closes the festival on the Sunday night.",
                "Darrow said the festival had deliberately booked fewer national acts. "
                "\u201cThe big names filled the programme and emptied the budget,\u201d he "
                "said. \u201cThe sessions were always the heart of it.\u201d",
                "Tickets go on sale at 10am on the first of next month from the "
                '<a href="https://harbourtonfolk.example/tickets">festival website</a> and '
                "from the central library.",
                "The council says the harbour-front plan will not affect the festival site "
                "this year. Whether the Folk Weekend has a home on the quays after that "
                "depends, Darrow said, on how many people come back to it this summer.",
            ),
        ),
    ),
    DemoArticle(
        slug="rovers-come-from-two-down-to-reach-quarter-final",
        headline="Rovers come from two goals down to reach the County Cup quarter-final",
        standfirst=(
            "Two goals in the last eleven minutes and a penalty shoot-out sent Harbourton "
            "Rovers past Castlebridge Athletic in front of a sell-out crowd at Ropewalk Park."
        ),
        section="sport",
        authors=("declan-fairweather",),
        tags=("football",),
        access="metered",
        days=1,
        time="22:10",
        updated_hours_later=1,
        lead=Picture(
            name="ropewalk-park-floodlights.jpg",
            scene="pitch",
            palette=("#2d6a4f", "#40916c", "#081c15", "#ffffff"),
            alt_text="A floodlit football pitch at night, seen from high in the stand",
            caption="Ropewalk Park was sold out for the first time this season",
            credit="Harbour Lens/Ola Brandt",
            copyright_holder="Harbour Lens Ltd",
        ),
        body=(
            text(
                "Harbourton Rovers were two goals down with eleven minutes left. By the end of "
                "the night they were in the quarter-finals of the County Cup, after a comeback "
                "and a penalty shoot-out that the 4,200 people inside Ropewalk Park will be "
                "describing to each other for years.",
                "Castlebridge Athletic, who play two divisions higher, had been the better side "
                "for most of the evening. They led through a header from a corner after 20 "
                "minutes and doubled their lead early in the second half, when a low shot "
                "squeezed under the Rovers goalkeeper, Nathan Ebbsworth.",
                "## Eleven minutes",
                "The Rovers manager, Stevie Callander, made three changes on the hour, and it "
                "was one of the substitutes, the 19-year-old winger Kofi Mensah-Reid, who "
                "changed the game. His cross in the 79th minute was turned in at the near post "
                "by the captain, Danny Ferreira, and the noise from the Cable Street end seemed "
                "to unsettle the visitors.",
                "In the third minute of stoppage time Mensah-Reid was brought down on the edge "
                "of the area. Ferreira's free-kick hit the wall, came back to him, and his "
                "second attempt went in off the far post.",
                "Castlebridge had chances to win it in normal time. Their striker hit the bar "
                "with a header in the last minute of stoppage time, and Ebbsworth made a fine "
                "save from a free-kick early in extra time, tipping the ball over from under "
                "his crossbar.",
            ),
            PullQuote(
                "I told them at half-time that nobody in this ground had given up, so they "
                "weren't allowed to either.",
                "Stevie Callander, Harbourton Rovers manager",
            ),
            text(
                "## The shoot-out",
                "There were no further goals in extra time. In the shoot-out both sides scored "
                "their first three penalties before Ebbsworth, who had been at fault for the "
                "second goal, saved low to his left. Ferreira, inevitably, scored the winner.",
                "Callander said afterwards that he had never been prouder of a group of "
                "players, and that the crowd had won the game as much as the team. Several "
                "Rovers players stayed on the pitch for half an hour after the final whistle, "
                "signing shirts and posing for photographs with supporters.",
                "The quarter-final draw takes place next week. A home tie would bring in an "
                "estimated £60,000 in ticket sales, which the club says would pay for the new "
                "floodlights it has been saving for since last season.",
                "For a club that was nearly wound up four years ago and is now owned by a "
                "supporters' trust, the money matters almost as much as the result. The "
                "trust's chair said it had sold more season tickets in the week before the tie "
                "than in the whole of the previous month.",
            ),
        ),
    ),
    DemoArticle(
        slug="half-marathon-new-route-avoids-swing-bridge",
        headline="Harbourton Half Marathon moves off the Swing Bridge for its new route",
        standfirst=(
            "This year's race will cross the river twice on the barrage walkway, and "
            "organisers say road closures will end two hours earlier than last year."
        ),
        section="sport",
        authors=("declan-fairweather", "maren-holt"),
        tags=("transport",),
        access="metered",
        state="scheduled",
        days=3,
        time="07:00",
        lead=Picture(
            name="half-marathon-route.jpg",
            scene="route",
            palette=("#edf2f4", "#8d99ae", "#2b2d42", "#ef233c"),
            alt_text="An illustrated map with a red route line winding across a river twice",
            caption="The new route crosses the Wend twice on the barrage walkway",
            credit="Newsroom Graphics/Lin Marsh",
            copyright_holder="The Daily Newsroom",
        ),
        body=(
            text(
                "The Harbourton Half Marathon will no longer cross the Swing Bridge, ending a "
                "tradition that runners loved and drivers did not. The new route, published by "
                "the organisers this week, crosses the river twice on the walkway along the "
                "top of the tidal barrage instead.",
                "The change means the bridge, the main road link between the two banks, can "
                "stay open to traffic throughout the race. Road closures elsewhere will end by "
                "1pm, two hours earlier than last year, because the new route keeps runners "
                "on a tighter loop around the city centre.",
                "Imogen Sayle, the race director, said the decision had not been easy. "
                "\u201cRunning over the Swing Bridge with the harbour on both sides is the "
                "photograph everyone wants,\u201d she said. \u201cBut we had 300 complaints "
                "last year, most of them from people who simply could not get to work.\u201d",
                "## A flatter, faster course",
                "The barrage walkway is narrower than the bridge, so the start will be split "
                "into four waves, ten minutes apart. Organisers say the new course is also "
                "flatter: it avoids the climb up Castle Hill, which came at the 10-mile mark "
                "and was blamed by many runners for slower times.",
                "About 6,500 runners are expected, including 400 in a new wheelchair race that "
                "starts fifteen minutes before the first wave. The finish stays on the quayside "
                "at Quay Gardens.",
                "Runners who have already entered will be moved to a start wave based on the "
                "finishing time they gave when they signed up, and can change it online until a "
                "week before the race. Entries have already passed last year's total, and the "
                "organisers expect to close them early.",
                "## Charities and volunteers",
                "Last year's runners raised about £1.3m for charity, the largest share for the "
                "children's ward at Wendside General Hospital. The race needs 900 volunteers "
                "on the day to marshal junctions, hand out water and staff the finish, and is "
                "still short of about 200, particularly on the north bank.",
                "## Road closures",
                "The main closures will be on Harbour Road, Chandlery Row and the southern end "
                "of Cable Street from 7am. Buses will be diverted but ferries will run as "
                "normal, and the transport authority is adding extra morning sailings. A full "
                "list of closures is on the "
                '<a href="https://harbourtonhalf.example/closures">race website</a>.',
            ),
        ),
    ),
    DemoArticle(
        slug="council-considers-empty-homes-levy",
        headline="Council considers doubling the levy on homes left empty for a year",
        standfirst=(
            "About 1,100 homes in Harbourton have stood empty for more than twelve months, and "
            "the housing cabinet member wants their owners to pay twice the usual council tax."
        ),
        section="politics",
        authors=("maren-holt",),
        tags=("housing", "city-council"),
        access="metered",
        state="draft",
        lead=Picture(
            name="empty-terrace.jpg",
            scene="terrace",
            palette=("#e0e1dd", "#778da9", "#415a77", "#1b263b"),
            alt_text="A terrace of houses with boarded windows on a quiet street",
            caption="Empty homes on Fenwick Road, where six houses have stood vacant for "
            "more than two years",
            credit="Newsroom/Ines Valdermoor",
            copyright_holder="The Daily Newsroom",
        ),
        body=(
            text(
                "Owners of homes that have stood empty for more than a year would pay double "
                "the usual council tax under proposals to be considered by Harbourton City "
                "Council's cabinet next month.",
                "The council can already charge more for homes that have been empty for two "
                "years. The change would bring that forward to one year, and would apply to "
                "about 1,100 homes across the city, according to the council's own figures.",
                "Councillor Dev Raghunathan, the cabinet member for housing, said the aim was "
                "not to raise money but to bring homes back into use. \u201cThere are 4,300 "
                "households on our waiting list and 1,100 empty homes,\u201d he said. \u201cI "
                "am not prepared to treat that as nobody's business.\u201d",
                "## Exemptions",
                "Homes that are being actively marketed for sale or rent, those awaiting "
                "probate and those whose owners are in care or hospital would be exempt. The "
                "council would also offer interest-free loans of up to £15,000 to owners who "
                "agree to let their property through its social lettings agency for five "
                "years. Second homes are treated separately and are not part of this "
                "proposal.",
                "The council estimates that about one in five of the homes affected are "
                "inherited properties whose owners live elsewhere, and that a similar number "
                "need repairs their owners cannot afford. The loan scheme is aimed at both "
                "groups, and officers expect it to bring back about 80 homes in its first "
                "year.",
                "Landlords' groups said the levy would penalise owners who were already trying "
                "to sell in a slow market, and that the council should speed up its own "
                "planning and building-control decisions, which they said left some homes "
                "empty for months.",
                "## What happens next",
                "If the cabinet agrees, the proposal will go out to consultation before a "
                "final decision in the summer. The higher charge could begin from next April.",
                "The opposition leader, Councillor Idris Mallory, said his group supported the "
                "principle but wanted the money raised to be set aside for the council's own "
                "repairs to its empty homes, about 90 of which have been waiting for work for "
                "more than six months.",
                "Note for the desk: waiting-list figure to be checked with the housing "
                "department before this goes live.",
            ),
        ),
    ),
]
