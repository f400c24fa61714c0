"""Function words of the languages the extractive engine knows; key terms never start or end with one."""

from __future__ import annotations

_ENGLISH = """
a about above after again against all also although am an and any are as at be because been before being
below between both but by can could did do does doing down during each either else etc even ever every few
for from further had has have having he her here hers him his how however i if in into is it its itself
just least less let like may might more most much must my no nor not now of off often on once one only or
other others our out over own per rather same several shall she should since so some such than that the
their them then there these they this those though through thus to too toward under until up upon us use
used uses using very via was we were what when where whether which while who whom whose why will with
within without would yet you your first second third new many well way ways also therefore hence
figure section table example chapter paper work approach result results case cases number part
"""

_GERMAN = """
aber alle allem allen aller alles als also am an ander andere anderen anderer anderes auch auf aus bei
beim bereits bis bzw da dabei dadurch daher damit dann daran darauf darf das dass dem den denen denn der
deren des dessen die dies diese diesem diesen dieser dieses doch dort du durch ein eine einem einen einer
eines einige einmal er es etwa etwas euch für gegen genau gibt ganz gilt hat hatte hier ihm ihn ihr ihre
im immer in ins ist ja je jede jedem jeden jeder jedes jedoch kann kein keine keinen können könnte man
mehr mit muss müssen nach neben nicht noch nun nur ob oder ohne schon sehr sei seien sein seine sich sie
sind so solche sollen somit sowie später über um und uns unter viel vom von vor während war waren was
weil weiter welche welcher welches wenn wer werden wie wieder wir wird wo wurde wurden zu zum zur zwar
zwei drei sodass falls gilt heißt heißen genannt nennt bezeichnet sowohl beispiel bemerkung definition
satz lemma beweis abbildung kapitel abschnitt folgenden folgende damit dazu hierbei insbesondere
"""

# Arabic: prepositions, pronouns, demonstratives, relatives, particles and the commonest auxiliaries,
# without vowel signs.
_ARABIC = """
    في من إلى الى على علي عن مع هذا هذه ذلك تلك هؤلاء أولئك التي التى الذي الذين اللذان اللتان اللواتي
    هو هي هم هن هما أنا نحن أنت أنتم أنتن كان كانت كانوا يكون تكون أن إن أنه إنه لأن لا لم لن ما ماذا
    متى أين كيف لماذا هل قد لقد ثم أو أم بل لكن حيث و ف بعد قبل عند عندما حتى إذا إذ كل بعض غير بين حول
    خلال ضد نحو منذ لدى أي أيضا فقط كما مثل كذلك هناك هنا ليس ليست يمكن جدا وهو وهي وفي ومن وإلى وعلى
    وقد ولا ولم وكان وكانت فإن فيه فيها منه منها عليه عليها إليه إليها به بها له لها لهم لهن ذات ذو
    التي وهذا وهذه بهذا بهذه لهذا لهذه أكثر أقل جميع عدة أحد إحدى يجب تم يتم وقال قال
"""

STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(_ENGLISH.split()),
    "de": frozenset(_GERMAN.split()),
    "ar": frozenset(_ARABIC.split()),
}


def stopwords(language: str) -> frozenset[str]:
    """Return the function words of a language (English and German together when it is unknown)."""
    if language in STOPWORDS:
        return STOPWORDS[language]
    return STOPWORDS["en"] | STOPWORDS["de"]
