"""Stop-word lists for Portuguese and English, as data with provenance.

Both lists are written in their natural spelling (with accents). They are not
meant to be compared with raw text: :class:`recommender.text.Analyzer` folds
them with :func:`recommender.text.fold` exactly as it folds documents, so
``não``, ``nao`` and ``NÃO`` are all the same stop word.

Sources
-------
Portuguese
    The Snowball project's Portuguese stop-word list
    (https://snowballstem.org/algorithms/portuguese/stop.txt, BSD-3-Clause,
    copyright Martin Porter, Richard Boulton and the Snowball contributors),
    plus additions by the ``recommender`` authors (MIT): every preposition +
    article/demonstrative contraction, the clitic pronouns, ``é``, and a few
    closed-class words (determiners, conjunctions, prepositions) that the
    Snowball list leaves out.
English
    The Snowball project's English stop-word list
    (https://snowballstem.org/algorithms/english/stop.txt, BSD-3-Clause),
    with its apostrophe forms (``don't``, ``i'll``) replaced by the pieces
    the tokenizer produces (``don``, ``ll``), since the tokenizer splits at
    apostrophes. scikit-learn's English list is deliberately not used: it holds
    content words such as "fire", "bill" and "computer".

Like the Snowball lists, both lists leave out words whose homonyms carry
meaning: English ``us`` (US), ``will``, ``can``, ``may``, ``might``, ``must``
and the ``won``/``can`` pieces of ``won't``/``can't``; Portuguese ``aí`` (AI),
``ali`` (the name), ``logo`` and ``sim`` (SIM).

Folding merges a few words with stop words; this is accepted because web text
often drops accents: ``séria`` (serious) folds to ``seria``, ``pôr`` to ``por``,
``nó`` to ``no``, ``dá`` to ``da``, and in the default ``"pt+en"`` union the
English ``era`` meets the Portuguese verb form and ``Dalí`` meets ``dali``.
"""

from __future__ import annotations

__all__ = ["ENGLISH_STOP_WORDS", "PORTUGUESE_STOP_WORDS", "SOURCES"]

SOURCES: dict[str, dict[str, str]] = {
    "pt": {
        "source": "Snowball Portuguese stop-word list, plus contractions, clitic pronouns "
        "and closed-class words added by the recommender authors",
        "url": "https://snowballstem.org/algorithms/portuguese/stop.txt",
        "licence": "BSD-3-Clause (Snowball); MIT (additions)",
    },
    "en": {
        "source": "Snowball English stop-word list, apostrophe forms replaced by the "
        "pieces the tokenizer produces",
        "url": "https://snowballstem.org/algorithms/english/stop.txt",
        "licence": "BSD-3-Clause (Snowball); MIT (additions)",
    },
}

_SNOWBALL_PORTUGUESE = """
de a o que e do da em um para com não uma os no se na por mais as dos como mas ao
ele das à seu sua ou quando muito nos já eu também só pelo pela até isso ela entre
depois sem mesmo aos seus quem nas me esse eles você essa num nem suas meu às minha
numa pelos elas qual nós lhe deles essas esses pelas este dele tu te vocês vos lhes
meus minhas teu tua teus tuas nosso nossa nossos nossas dela delas esta estes estas
aquele aquela aqueles aquelas isto aquilo
estou está estamos estão estive esteve estivemos estiveram estava estávamos estavam
estivera estivéramos esteja estejamos estejam estivesse estivéssemos estivessem
estiver estivermos estiverem
hei há havemos hão houve houvemos houveram houvera houvéramos haja hajamos hajam
houvesse houvéssemos houvessem houver houvermos houverem houverei houverá houveremos
houverão houveria houveríamos houveriam
sou somos são era éramos eram fui foi fomos foram fora fôramos seja sejamos sejam
fosse fôssemos fossem for formos forem serei será seremos serão seria seríamos seriam
tenho tem temos têm tinha tínhamos tinham tive teve tivemos tiveram tivera tivéramos
tenha tenhamos tenham tivesse tivéssemos tivessem tiver tivermos tiverem terei terá
teremos terão teria teríamos teriam
"""

# Preposition + article, demonstrative, pronoun or adverb.
_PORTUGUESE_CONTRACTIONS = """
do da dos das no na nos nas ao aos à às pelo pela pelos pelas
num numa nuns numas dum duma duns dumas
deste desta destes destas disto neste nesta nestes nestas nisto
desse dessa desses dessas disso nesse nessa nesses nessas nisso
daquele daquela daqueles daquelas daquilo naquele naquela naqueles naquelas naquilo
àquele àquela àqueles àquelas àquilo
dele dela deles delas nele nela neles nelas
doutro doutra doutros doutras noutro noutra noutros noutras
daqui daí dali donde aonde pra pras pro pros
"""

# Clitic pronouns, also in the contracted forms mo (me + o), lho (lhe + o) etc.
_PORTUGUESE_CLITICS = """
me te se lhe lhes o a os as lo la los las no na nos nas vos
mo ma mos mas to ta tos tas lho lha lhos lhas
"""

_PORTUGUESE_CLOSED_CLASS = """
é um uns umas
ante após contra desde durante perante sob sobre
porque pois porém contudo todavia portanto embora enquanto
mim ti si comigo contigo consigo conosco convosco vós
vosso vossa vossos vossas
algum alguma alguns algumas nenhum nenhuma nenhuns nenhumas
outro outra outros outras todo toda todos todas tudo nada cada qualquer quaisquer
muita muitos muitas pouco pouca poucos poucas tanto tanta tantos tantas
quanto quanta quantos quantas mesma mesmos mesmas quais cujo cuja cujos cujas onde
ainda apenas então assim
"""

_SNOWBALL_ENGLISH = """
i me my myself we our ours ourselves you your yours yourself yourselves
he him his himself she her hers herself it its itself they them their theirs themselves
what which who whom this that these those
am is are was were be been being have has had having do does did doing
would should could ought cannot
a an the and but if or because as until while
of at by for with about against between into through during before after above below
to from up down in out on off over under again further then once
here there when where why how all any both each few more most other some such
no nor not only own same so than too very
"""

# What the Snowball list's apostrophe forms ("don't", "i'll", "isn't") become
# after the tokenizer splits them; the single letters also cover min_length=1.
_ENGLISH_CONTRACTION_PIECES = """
aren couldn daren didn doesn don hadn hasn haven isn mightn mustn needn oughtn
shan shouldn wasn weren wouldn
ll re ve d m s t
"""

PORTUGUESE_STOP_WORDS: frozenset[str] = frozenset(
    (_SNOWBALL_PORTUGUESE + _PORTUGUESE_CONTRACTIONS + _PORTUGUESE_CLITICS).split()
    + _PORTUGUESE_CLOSED_CLASS.split()
)
"""Portuguese stop words, natural spelling; fold them before comparing."""

ENGLISH_STOP_WORDS: frozenset[str] = frozenset(
    _SNOWBALL_ENGLISH.split() + _ENGLISH_CONTRACTION_PIECES.split()
)
"""English stop words, as the tokenizer splits them; fold them before comparing."""
