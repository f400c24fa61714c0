"""Function words of the languages the extractive engine knows; key terms never start or end with one.

English, German, French, Spanish, Italian, Portuguese, Dutch and Arabic: articles, pronouns, prepositions,
conjunctions, the commonest adverbs and auxiliaries, and words that label parts of a document ("figure",
"chapter"). Words written with an apostrophe ("c'est") are listed with both the straight and the curly one.
"""

from __future__ import annotations

import re

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

_FRENCH = """
le la les l un une des du de d au aux à ce cet cette ces ceci cela ça celui celle ceux celles mon ma mes
ton ta tes son sa ses notre nos votre vos leur leurs je tu il elle on nous vous ils elles me te se lui moi
toi soi y en qui que quoi dont où quel quelle quels quelles lequel laquelle lesquels lesquelles et ou mais
donc or ni car si comme quand lorsque puisque parce pour par avec sans sous sur dans entre vers chez
contre depuis pendant avant après selon malgré ne pas plus moins très trop aussi bien encore déjà
toujours jamais souvent peu beaucoup tout tous toute toutes autre autres même mêmes chaque plusieurs
certains certaines aucun aucune est sont était étaient être été sera seront serait ai a as avons avez ont
avait avaient avoir eu fait faire peut peuvent pouvait doit doivent ainsi alors enfin cependant toutefois
ici là non oui afin dès tandis lors c'est n'est qu'il qu'elle qu'on qu'ils d'un d'une s'il l'on jusqu'à
premier première deux trois figure tableau exemple chapitre section partie
"""

_SPANISH = """
el la los las lo un una unos unas al del de a en y e o u ni que qué quien quién quienes cual cuál cuales
cuando cuándo donde dónde como cómo cuanto porque pero sino aunque si no ya más menos muy mucho mucha
muchos muchas poco poca pocos pocas todo toda todos todas otro otra otros otras mismo misma mismos mismas
cada algún alguno alguna algunos algunas ningún ninguno ninguna este esta estos estas ese esa esos esas
aquel aquella aquellos aquellas esto eso aquello mi mis tu tus su sus nuestro nuestra nuestros nuestras yo
tú él ella ello nosotros nosotras vosotros ellos ellas usted ustedes me te se le les nos os con sin sobre
entre hacia hasta desde durante según contra para por ante bajo tras es son era eran fue fueron ser sido
siendo está están estaba estaban estar estado ha han había habían haber hay será serán sería puede pueden
debe deben hace hacen también tampoco siempre nunca así entonces luego después antes aquí allí ahí bien
sólo solo tan tanto tanta tantos cuyo cuya primer primero primera dos tres figura tabla ejemplo capítulo
sección parte
"""

_ITALIAN = """
il lo la i gli le l un uno una del dello della dei degli delle al allo alla ai agli alle dal dallo dalla
dai dagli dalle nel nello nella nei negli nelle sul sullo sulla sui sugli sulle di a da in con su per tra
fra e ed o od ma però se che chi cui non né più meno molto molta molti molte poco tutto tutta tutti tutte
altro altra altri altre stesso stessa ogni alcuni alcune nessuno nessuna questo questa questi queste
quello quella quelli quelle quel ciò io tu lui lei noi voi loro mi ti si ci vi ne mio mia miei mie tuo
tua suo sua suoi sue nostro nostra vostro è sono era erano fu furono essere stato stata stati state sarà
sarebbe ha hanno aveva avevano avere avuto può possono deve devono anche ancora già sempre mai così quindi
dunque poi prima dopo quando dove come perché mentre qui lì là oppure invece tuttavia inoltre cioè quale
quali quanto tanto c'è dell'un all'un un'altra primo prima due tre figura tabella esempio capitolo sezione
parte
"""

_PORTUGUESE = """
o a os as um uma uns umas do da dos das no na nos nas ao aos à às pelo pela pelos pelas de em por para
com sem sob sobre entre até desde durante contra e ou mas nem que quem qual quais quando onde como porque
se não sim mais menos muito muita muitos muitas pouco pouca todo toda todos todas outro outra outros
outras mesmo mesma cada algum alguma alguns algumas nenhum nenhuma este esta estes estas esse essa esses
essas aquele aquela aqueles aquelas isto isso aquilo meu minha meus minhas teu tua seu sua seus suas nosso
nossa eu tu ele ela nós eles elas você vocês me te lhe lhes vos é são era eram foi foram ser sido sendo
está estão estava estavam estar estado há tem têm tinha tinham ter tido será serão seria pode podem deve
devem também ainda já sempre nunca assim então depois antes aqui ali lá bem só apenas tão tanto dum duma
num numa pois embora primeiro primeira dois duas três figura tabela exemplo capítulo seção secção parte
"""

_DUTCH = """
de het een en of maar want dus dat die dit deze wat wie welk welke waar wanneer hoe waarom omdat als dan
toen terwijl hoewel indien tenzij zodat in op aan bij met van voor na door over onder tussen tegen naar uit
om tot sinds zonder binnen buiten langs volgens tijdens niet geen nooit wel ook nog al zeer heel erg meer
meest minder veel weinig alle alles elk elke ieder iedere ander andere anderen zelf zelfde enkele sommige
ik jij je u hij zij ze wij we jullie hen hun hem haar mij me mijn jouw jou uw zijn onze ons er hier daar
is was waren ben bent wordt worden werd werden geweest heeft hebben had hadden kan kunnen kon konden moet
moeten zal zullen zou zouden mag mogen wil willen doet doen deed gaat gaan ging eens steeds alleen even
toch zo nu daarom echter bovendien eerst weer zich zo'n eerste twee drie figuur tabel voorbeeld hoofdstuk
sectie paragraaf deel
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


def _words(listing: str) -> frozenset[str]:
    """The words of a listing, each written with an apostrophe also with the curly one ("c'est", "c’est")."""
    words = listing.split()
    return frozenset([*words, *(word.replace("'", "’") for word in words if "'" in word)])


STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words(_ENGLISH),
    "de": _words(_GERMAN),
    "fr": _words(_FRENCH),
    "es": _words(_SPANISH),
    "it": _words(_ITALIAN),
    "pt": _words(_PORTUGUESE),
    "nl": _words(_DUTCH),
    "ar": _words(_ARABIC),
}


def stopwords(language: str) -> frozenset[str]:
    """Return the function words of a language (English and German together when it is unknown)."""
    if language in STOPWORDS:
        return STOPWORDS[language]
    return STOPWORDS["en"] | STOPWORDS["de"]


def in_language(text: str, language: str) -> bool:
    """Tell whether a sentence of a non-English document is written in that language, not in English.

    Manuals and translations leave passages in English; questions worded in French around an English
    sentence read badly and its word runs are not terms of the document's language.
    """
    if language == "en" or language not in STOPWORDS:
        return True
    own, english = STOPWORDS[language], STOPWORDS["en"]
    words = [w.casefold() for w in re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", text)]
    return sum(w in own and w not in english for w in words) >= sum(
        w in english and w not in own for w in words
    )
