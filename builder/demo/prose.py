"""Original prose for the demo site (written for loom; no third-party text)."""

from __future__ import annotations

ARTICLES: list[dict] = [
    {
        "slug": "sourdough-starter",
        "title": "How to keep a sourdough starter alive through the winter",
        "paragraphs": [
            "A sourdough starter is a small colony of wild yeast and bacteria that lives in a jar of flour and "
            "water. When the kitchen gets cold in winter, the colony slows down, and many bakers think that "
            "their starter has died when it is only resting.",
            "The first thing to do is to find a warmer place for the jar. The top of the refrigerator, a shelf "
            "near the oven or a cupboard above a radiator will often be a few degrees warmer than the counter, "
            "and that small difference is enough to wake the yeast.",
            "Feed the starter with a little more flour than usual, and use water that is slightly warm to the "
            "touch. After two or three feedings you should see bubbles again, and the smell will change from "
            "sharp and sour to something closer to fresh yoghurt.",
            "If you are going away for a few weeks, you can also dry a spoonful of starter on baking paper. "
            "Once it is completely dry, break it into flakes and keep them in a sealed bag; a few flakes in "
            "warm water and flour will bring it back to life.",
        ],
    },
    {
        "slug": "lighthouse-keepers",
        "title": "The last lighthouse keepers of the northern coast",
        "paragraphs": [
            "For more than a century, the lighthouses along the northern coast were looked after by keepers "
            "who lived with their families on the rocks. They trimmed the wicks, polished the great lenses "
            "and wrote the weather in a logbook every four hours.",
            "Life on a lighthouse was quiet but never easy. Supplies arrived by boat once a fortnight when the "
            "sea allowed it, and in a bad winter the families could be cut off for many weeks with only the "
            "radio and a shelf of old books for company.",
            "When the lights were automated in the nineteen eighties, most of the keepers moved to the towns "
            "on the mainland. Some of them still meet every summer, and they say that they miss the sound of "
            "the sea far more than they ever expected.",
        ],
    },
    {
        "slug": "garden-birds",
        "title": "Which birds visit a small city garden, and why",
        "paragraphs": [
            "Even a small garden in the middle of a city can be visited by a surprising number of birds. Over "
            "one year we counted twenty two species on a patch of grass that is not much larger than a "
            "parking space.",
            "The most common visitors were sparrows and blackbirds, which were there almost every day. Robins "
            "came in the autumn and winter, when they defend a feeding territory, and a pair of blue tits "
            "nested in a box that we had put up on the wall.",
            "What brought them was not the food alone. A shallow dish of water, a dense bush where they could "
            "hide from cats and a corner where the leaves were left to rot all made the garden more useful "
            "to them than the tidy lawns next door.",
            "If you would like to try this yourself, start with water and shelter before you buy a feeder. "
            "Write down what you see each morning for a month, and you will soon learn which birds depend on "
            "your garden and which are only passing through.",
        ],
    },
    {
        "slug": "bicycle-repair",
        "title": "Fixing a flat bicycle tyre at the side of the road",
        "paragraphs": [
            "A flat tyre is the most common problem that a cyclist will meet, and it is also one of the "
            "easiest to fix if you carry a few simple tools. All you need is a spare tube or a patch kit, two "
            "tyre levers and a small pump.",
            "Start by taking the wheel out of the frame and letting out any air that is left. Push the tyre "
            "levers under the edge of the tyre, lift it over the rim and pull out the old tube, taking care "
            "not to pinch your fingers.",
            "Before you put in the new tube, run your fingers slowly around the inside of the tyre. A small "
            "piece of glass or a thorn is often still stuck there, and it will puncture the new tube within a "
            "few minutes if you do not find it first.",
        ],
    },
    {
        "slug": "mountain-weather",
        "title": "Reading the weather before a day in the mountains",
        "paragraphs": [
            "The weather in the mountains can change much faster than it does in the valley, and a clear "
            "morning is no promise of a clear afternoon. Walkers who learn to read the sky are far less "
            "likely to be caught out on an exposed ridge.",
            "Tall clouds that grow quickly in the late morning are a warning sign, because they often turn "
            "into thunderstorms after lunch. A ring around the sun or the moon usually means that a band of "
            "rain is on its way within a day or so.",
            "Wind is just as important as cloud. A breeze that is pleasant at the car park can be strong "
            "enough on the summit to knock a person over, so it is wise to check the forecast for the height "
            "you are climbing to and not only for the town below.",
        ],
    },
    {
        "slug": "old-maps",
        "title": "What old maps tell us about the towns we live in",
        "paragraphs": [
            "An old map of your own town is one of the best history books you can find. Streets that have "
            "since disappeared, fields where houses now stand and the names of long closed mills and inns "
            "all tell the story of how the place grew.",
            "Many local libraries keep a collection of maps from different centuries, and some have been "
            "scanned so that you can compare them on a screen. Laying a modern map over an old one shows at "
            "once which roads are ancient and which are new.",
            "Look closely at the small details as well. A cluster of buildings marked as a brickworks might "
            "explain why so many houses in one street share the same red colour, and a forgotten stream can "
            "explain why a certain corner still floods after heavy rain.",
        ],
    },
]

# A page in another language: the language filter (English wanted) must drop it.
FRENCH_ARTICLE = {
    "slug": "marche-du-samedi",
    "title": "Le marché du samedi matin",
    "lang": "fr",
    "paragraphs": [
        "Tous les samedis matin, la place de la mairie se remplit de stands de fruits, de légumes et de "
        "fromages. Les habitants du quartier viennent tôt pour trouver les meilleurs produits avant la foule.",
        "Les marchands connaissent la plupart de leurs clients par leur prénom, et chacun prend le temps de "
        "discuter de la météo, des récoltes et des nouvelles de la semaine.",
    ],
}

# A page with almost no text: the document filters must drop it.
TAG_PAGE = {"slug": "tags", "title": "Tags", "paragraphs": ["Tags: bread, birds, maps."]}

# A page whose owner opted out of AI training for its images (meta robots noai).
NOAI_ARTICLE = {
    "slug": "private-gallery",
    "title": "Photographs from a family holiday by the lake",
    "robots": "noai, noimageai",
    "paragraphs": [
        "These are some of the photographs that we took during a week by the lake last summer. The "
        "weather was kind to us, and the children spent most of the days swimming and building small "
        "boats out of driftwood that they found on the shore.",
        "We have shared them here for friends and family, and we would prefer that they are not used for "
        "anything else, which is why this page asks machines not to collect its pictures.",
    ],
}
