"""Site input formats: WordPress WXR, CSV and Markdown front matter readers, and detection."""

from __future__ import annotations

import ast
import datetime as dt
import os
import subprocess
import sys
import time

import pytest

from recommender.corpus import Article, articles_from_records
from recommender.formats import READERS, Problem, Record, detect_format
from recommender.formats import wxr as wxr_module
from recommender.formats.csvfile import read_csv
from recommender.formats.markdown import read_markdown
from recommender.formats.wxr import clean_wordpress_html, read_wxr

from .conftest import FIXTURES, ROOT

FORMATS = FIXTURES / "formats"
INVALID = FORMATS / "invalid"
WXR = FORMATS / "wordpress-export.xml"
CSV = FORMATS / "articles.csv"
HUGO = FORMATS / "hugo-site" / "content" / "posts"
JEKYLL = FORMATS / "jekyll-site" / "_posts"


def records(items):
    items = list(items)
    assert all(isinstance(item, Record) for item in items), [str(i) for i in items]
    return items


def problems(items):
    return [str(item) for item in items if isinstance(item, Problem)]


def by_id(items):
    return {item.fields["id"]: item for item in items if isinstance(item, Record)}


# -- WordPress WXR ---------------------------------------------------------------------


def test_wxr_reads_published_posts_only_in_document_order_on_their_item_lines():
    posts = records(read_wxr(WXR))
    assert [(p.fields["id"], p.line) for p in posts] == [
        ("soberania-digital-e-o-sul-global", 46),
        ("o-que-a-floresta-pensa", 103),
        ("58", 164),  # empty slug: the post id
        ("entregadores-e-o-algoritmo", 238),
    ]
    assert all(p.source == str(WXR) for p in posts)


def test_wxr_skips_the_draft_the_page_and_the_attachment():
    text = WXR.read_text("utf-8")
    for skipped in ("Rascunho: o BRICS depois de Kazan", "Sobre a revista", "cabo-fortaleza"):
        assert skipped in text
    titles = {p.fields.get("title") for p in read_wxr(WXR)}
    assert not {"Rascunho: o BRICS depois de Kazan", "Sobre a revista", "cabo-fortaleza"} & titles


def test_wxr_fields_of_each_post():
    posts = by_id(read_wxr(WXR))
    fields = {ident: {k: v for k, v in p.fields.items() if k != "body"}
              for ident, p in posts.items()}
    assert fields == {
        "soberania-digital-e-o-sul-global": {
            "id": "soberania-digital-e-o-sul-global",
            "title": "Cabos, nuvens & dados: a soberania digital no Sul Global",
            "author": "Helena Vasconcelos Prado",
            "date": "2024-07-21T09:30:00",
            "url": "https://revista.example/2024/07/21/soberania-digital-e-o-sul-global/",
            "blurb": "Cabos, centros de dados e lojas de aplicativos: o que resta de soberania a "
                     "um Estado que depende da nuvem de outro.",
            # post_format is neither a tag nor a category
            "tags": ["Geopolítica", "plataformas digitais", "soberania"],
        },
        "o-que-a-floresta-pensa": {
            "id": "o-que-a-floresta-pensa",
            "title": "O que a floresta pensa: notas sobre o “bem viver”",
            "author": "Tiago Ubirajara Mendes",
            "date": "2024-06-11T14:00:00",
            "url": "https://revista.example/2024/06/11/o-que-a-floresta-pensa/",
            # the category "Pensamento ind&iacute;gena" and the tag of the same name are one
            "tags": ["Pensamento indígena", "bem viver", "Amazônia"],
        },
        "58": {
            "id": "58",
            "title": "A questão agrária volta ao centro",
            "author": "convidado",  # no wp:author entry for this login
            "date": "2024-05-02T18:05:00",
            "url": "https://revista.example/?p=58",
            "blurb": "Reforma agrária & concentração de terras: por que a pergunta sobre o dono "
                     "da terra não saiu de cena.",
            "tags": ["questão agrária", "reforma agrária"],  # "Sem categoria" left out
        },
        "entregadores-e-o-algoritmo": {
            "id": "entregadores-e-o-algoritmo",
            "title": "Entregadores, algoritmos e a greve que não aparece no aplicativo",
            "author": "Tiago Ubirajara Mendes",
            # date 0000-00-00 00:00:00: absent; excerpt empty: no blurb
            "url": "https://revista.example/2024/03/14/entregadores-e-o-algoritmo/",
            "tags": ["Plataformas & trabalho", "plataformas digitais"],
        },
    }


def test_wxr_body_loses_block_comments_and_shortcodes_but_keeps_html_and_captions():
    posts = by_id(read_wxr(WXR))
    body = posts["soberania-digital-e-o-sul-global"].fields["body"]
    assert body.startswith("<p>Quem controla os cabos submarinos")
    assert body.endswith("quem escreve as regras.</p>")
    assert "<!--" not in body and "wp:" not in body
    for gone in ("[caption", "[/caption]", "[gallery", "[embed]", "video.example"):
        assert gone not in body
    assert ('class="size-large wp-image-212" /> Estação de cabos submarinos no litoral do Ceará'
            in body)
    assert "&#8212; quase sempre invisível &#8212;" in body  # HTML entities are for the index
    assert "satélites" not in body  # the comment is not the post


def test_wxr_body_keeps_bracketed_prose_and_unescapes_escaped_shortcodes():
    body = by_id(read_wxr(WXR))["entregadores-e-o-algoritmo"].fields["body"]
    assert "&#8220;a taxa [mínima] não paga a chuva&#8221;" in body
    assert "premia [&#8230;] sem nunca" in body
    assert "\n[gallery]\n" in body  # written [[gallery]]: WordPress shows it literally
    assert body.startswith('<h3 class="wp-block-heading">A fila invisível</h3>')


@pytest.mark.parametrize(("html", "expected"), [
    ('<!-- wp:paragraph --><p>a</p><!-- /wp:paragraph -->', "<p>a</p>"),
    ('<!-- wp:image {"id":1,"sizeSlug":"large"} --><figure>x</figure><!-- /wp:image -->',
     "<figure>x</figure>"),
    ("<!-- wp:separator /--><hr>", "<hr>"),
    ("<!-- nota editorial -->texto", "<!-- nota editorial -->texto"),  # not a block comment
    ('[caption id="attachment_9" align="alignleft"]<img src="a.jpg"> Foto: arquivo[/caption]',
     '<img src="a.jpg"> Foto: arquivo'),
    ('antes [gallery ids="1,2"] depois', "antes  depois"),
    ("antes [gallery] depois", "antes  depois"),
    ("[embed]https://video.example/v/1[/embed]fim", "fim"),
    ('[video mp4="https://x.example/a.mp4"][/video]fim', "fim"),
    ('[pullquote]A terra não é mercadoria.[/pullquote]', "A terra não é mercadoria."),
    ('[contact-form-7 id="5" title="Contato"]', ""),
    ("[vc_row][vc_column]Texto[/vc_column][/vc_row]", "Texto"),
    ('[acordeao titulo="x"/]fim', "fim"),
    ("[[caption]]", "[caption]"),
    *[(prose, prose) for prose in ("[sic] [1] [...] [grifo nosso] [N.T.] [mínima]",
                                   "sem marcação")],
])
def test_clean_wordpress_html(html, expected):
    assert clean_wordpress_html(html) == expected


WXR_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:excerpt="http://wordpress.org/export/{v}/excerpt/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/{v}/">
<channel>
<wp:wxr_version>{v}</wp:wxr_version>
{items}
</channel>
</rss>
"""


def wxr_item(slug, *, status="publish", post_type="post", password="", creator="ana"):
    return f"""<item>
<title>Título de {slug}</title>
<dc:creator>{creator}</dc:creator>
<content:encoded><![CDATA[<p>Texto de {slug}.</p>]]></content:encoded>
<excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>7</wp:post_id>
<wp:post_name>{slug}</wp:post_name>
<wp:post_date>2024-01-02 03:04:05</wp:post_date>
<wp:status>{status}</wp:status>
<wp:post_type>{post_type}</wp:post_type>
<wp:post_password>{password}</wp:post_password>
</item>"""


def write_wxr(path, *items, version="1.2"):
    path.write_text(WXR_TEMPLATE.format(v=version, items="\n".join(items)), encoding="utf-8")
    return path


def test_wxr_skips_private_scheduled_trashed_protected_and_non_post_items(tmp_path):
    path = write_wxr(
        tmp_path / "export.xml",
        wxr_item("publicado"),
        wxr_item("privado", status="private"),
        wxr_item("agendado", status="future"),
        wxr_item("pendente", status="pending"),
        wxr_item("lixeira", status="trash"),
        wxr_item("protegido", password="segredo"),
        wxr_item("menu", post_type="nav_menu_item"),
        wxr_item("bloco", post_type="wp_block"),
        wxr_item("artigo", post_type="artigo"),
    )
    assert list(by_id(read_wxr(path))) == ["publicado"]
    assert list(by_id(read_wxr(path, post_types=("post", "artigo")))) == ["publicado", "artigo"]


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_wxr_versions_and_login_fallback(tmp_path, version):
    path = write_wxr(tmp_path / "old.xml", wxr_item("velho", creator="ana"), version=version)
    [post] = records(read_wxr(path))
    assert post.fields == {"id": "velho", "title": "Título de velho", "author": "ana",
                           "body": "<p>Texto de velho.</p>", "date": "2024-01-02T03:04:05"}


def test_wxr_malformed_xml_is_one_problem_with_line_and_column():
    items = list(read_wxr(INVALID / "malformed.xml"))
    assert [i.fields["id"] for i in items if isinstance(i, Record)] == ["antes-do-erro"]
    assert problems(items) == [
        f"{INVALID / 'malformed.xml'}:19: xml: malformed XML: not well-formed (invalid token) "
        "(column 20)"
    ]


@pytest.mark.parametrize("name", ["entities.xml", "external-entity.xml"])
def test_wxr_refuses_documents_that_declare_entities(name):
    started = time.perf_counter()
    items = list(read_wxr(INVALID / name))
    assert time.perf_counter() - started < 1
    assert len(items) == 1 and isinstance(items[0], Problem)
    assert items[0].source == str(INVALID / name) and items[0].line == 3
    assert items[0].message.startswith("refused: the document type declaration defines")
    assert "Remove the <!DOCTYPE" in items[0].message


def test_wxr_accepts_a_doctype_without_entities(tmp_path):
    path = write_wxr(tmp_path / "d.xml", wxr_item("com-doctype"))
    text = path.read_text("utf-8").replace("?>\n", "?>\n<!DOCTYPE rss>\n", 1)
    path.write_text(text, encoding="utf-8")
    assert list(by_id(read_wxr(path))) == ["com-doctype"]


def test_wxr_refuses_what_is_not_a_wordpress_export(tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text('<?xml version="1.0"?>\n<rss version="2.0"><channel><item><title>x</title>'
                    "</item></channel></rss>\n", encoding="utf-8")
    assert problems(read_wxr(feed)) == [
        f"{feed}: xml: no <wp:wxr_version> element: this is not a WordPress export "
        "(WXR, written by Tools → Export)"]
    atom = tmp_path / "atom.xml"
    atom.write_text('<?xml version="1.0"?>\n\n<feed xmlns="http://www.w3.org/2005/Atom"/>\n',
                    encoding="utf-8")
    [problem] = read_wxr(atom)
    assert (problem.line, problem.field) == (3, "xml")
    assert problem.message.startswith("the root element is <feed>, not <rss>")


def test_wxr_empty_file_is_a_problem(tmp_path):
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    [problem] = read_wxr(empty)
    assert problem.field == "xml" and "no element found" in problem.message


def test_wxr_bom_and_crlf_give_the_same_records(tmp_path):
    path = tmp_path / "windows.xml"
    path.write_bytes(b"\xef\xbb\xbf" + WXR.read_bytes().replace(b"\n", b"\r\n"))
    expected = [(r.line, r.fields) for r in read_wxr(WXR)]
    got = [(r.line, r.fields) for r in records(read_wxr(path))]
    # expat normalises CRLF inside CDATA too, so bodies are identical
    assert got == expected


def test_wxr_streams_in_chunks_with_the_same_result(monkeypatch):
    expected = [(r.line, r.fields) for r in read_wxr(WXR)]
    monkeypatch.setattr(wxr_module, "_CHUNK", 97)  # splits tags, CDATA and UTF-8 sequences
    reader = read_wxr(WXR)
    first = next(reader)
    assert first.fields["id"] == "soberania-digital-e-o-sul-global"
    assert [(first.line, first.fields)] + [(r.line, r.fields) for r in reader] == expected


# -- CSV --------------------------------------------------------------------------------


def test_csv_reads_every_row_on_the_line_where_it_starts():
    rows = records(read_csv(CSV))
    assert [(r.fields["id"], r.line) for r in rows] == [
        ("soberania-digital-e-nuvem", 2),
        ("marco-temporal-leitura", 3),  # its body spans lines 3 to 7
        ("geopolitica-do-litio", 8),
        ("platform-labour-notes", 9),
        ("credito-rural-e-agronegocio", 10),
    ]


def test_csv_fields():
    rows = by_id(read_csv(CSV))
    first = rows["soberania-digital-e-nuvem"].fields
    assert {k: v for k, v in first.items() if k != "body"} == {
        "id": "soberania-digital-e-nuvem",
        "title": "A nuvem dos outros: soberania digital e contratos públicos",
        "author": ["Helena Vasconcelos Prado"],
        "date": "2024-07-21",
        "tags": ["plataformas digitais", "soberania", "Brasil"],
        "lang": "pt",
        "url": "https://revista.example/artigos/soberania-digital-e-nuvem/",
        "blurb": "Quando o Estado aluga a infraestrutura de que depende.",
    }  # the unknown column "secao" is ignored
    marco = rows["marco-temporal-leitura"].fields
    assert marco["title"] == "Marco temporal, terra e memória"
    assert marco["author"] == ["Tiago Ubirajara Mendes", "Ana Cecília Rocha"]
    assert marco["date"] == "2024-03-08T10:00:00-03:00"
    assert "url" not in marco and "blurb" not in marco  # empty cells are absent
    assert marco["body"].startswith("A tese do marco temporal")
    assert "numa data fixa.\n\nOs autores" in marco["body"]
    assert marco["body"].endswith('o que vale como "prova" de presença quando a expulsão é a '
                                  "própria razão da ausência?")
    assert rows["geopolitica-do-litio"].fields["blurb"] == (
        "Bolívia, Chile e Argentina entre a promessa e o extrativismo.")
    assert "date" not in rows["platform-labour-notes"].fields
    last = rows["credito-rural-e-agronegocio"].fields
    assert last["tags"] == ["questão agrária", "agronegócio"]  # the repeated tag once
    assert set(last) == {"id", "title", "date", "tags", "body"}


def test_csv_bad_rows_are_each_reported_and_the_good_ones_read():
    path = INVALID / "too-many-cells.csv"
    items = list(read_csv(path))
    assert [(i.fields["id"], i.line) for i in items if isinstance(i, Record)] == [
        ("bom", 2), ("final", 5)]
    assert problems(items) == [
        f"{path}:3: csv: too many cells: the row has 4, the header (line 1) has 3",
        f"{path}:4: csv: too few cells: the row has 2, the header (line 1) has 3",
        f"{path}:7: csv: too many cells: the row has 5, the header (line 1) has 3",
    ]


def test_csv_without_an_id_column_is_one_problem_on_the_header_line():
    path = INVALID / "no-id-column.csv"
    items = list(read_csv(path))
    assert len(items) == 1
    assert str(items[0]).startswith(f"{path}:1: header: no 'id' column (the header holds "
                                    "'titulo', 'title', 'body')")


def test_csv_not_utf8_names_the_first_bad_line_with_a_hint_and_counts_the_rest():
    path = INVALID / "latin1.csv"
    items = list(read_csv(path))
    assert problems(items) == [
        f"{path}:2: encoding: not valid UTF-8 (byte 0xF3 at byte 34 of the line); "
        "looks like Latin-1/Windows-1252; re-save the file as UTF-8",
        f"{path}: encoding: 2 more lines are not valid UTF-8 either (lines 3, 5); "
        "their rows were skipped",
    ]
    assert [i.fields["id"] for i in items if isinstance(i, Record)] == ["sem-acento"]


def test_csv_utf16_gets_its_own_hint(tmp_path):
    path = tmp_path / "utf16.csv"
    path.write_bytes("id,title\na,Ação\n".encode("utf-16"))
    first = list(read_csv(path))[0]
    assert first.line == 1
    assert first.message.endswith("looks like UTF-16; re-save the file as UTF-8")


def test_csv_bom_and_crlf_give_the_same_records(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + CSV.read_bytes().replace(b"\n", b"\r\n"))
    expected = [(r.line, r.fields) for r in read_csv(CSV)]
    assert [(r.line, r.fields) for r in records(read_csv(path))] == expected


def test_csv_semicolons_as_a_portuguese_spreadsheet_writes_them(tmp_path):
    path = tmp_path / "planilha.csv"
    path.write_text('ID;Título;Title;Tags\nx;ignorado;"Terra, água e fogo";a|b\n', "utf-8")
    [row] = records(read_csv(path))
    assert row.fields == {"id": "x", "title": "Terra, água e fogo", "tags": ["a", "b"]}


def test_csv_skips_blank_and_empty_rows_and_reads_nothing_from_an_empty_file(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("\nid,title\n\n a , Um \n,\n ,  \nb,Dois\n\n", "utf-8")
    assert [(r.line, r.fields) for r in records(read_csv(path))] == [
        (4, {"id": "a", "title": "Um"}), (7, {"id": "b", "title": "Dois"})]
    for text in ("", "id,title\n", "\n\n"):
        path.write_text(text, "utf-8")
        assert list(read_csv(path)) == []


def test_csv_quoting_errors_name_the_row(tmp_path):
    path = tmp_path / "quotes.csv"
    path.write_text('id,title\na,"bem"fechado\nb,Dois\nc,"nunca\nfecha\n', "utf-8")
    items = list(read_csv(path))
    assert [i.fields["id"] for i in items if isinstance(i, Record)] == ["b"]
    assert [(p.line, p.field) for p in items if isinstance(p, Problem)] == [(2, "csv"), (4, "csv")]
    assert 'must be doubled' in items[0].message
    assert items[-1].message.startswith("a quoted cell opened in the row starting on line 4 "
                                        "never closes")


def test_csv_repeated_column_is_a_header_problem(tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text("id,tags,Tags\na,b,c\n", "utf-8")
    assert problems(read_csv(path)) == [
        f"{path}:1: header: column 'tags' appears twice (columns 2 and 3)"]


# -- Markdown ---------------------------------------------------------------------------


def test_hugo_directory_skips_the_list_page_and_the_draft():
    posts = records(read_markdown(HUGO))
    assert [(os.path.basename(p.source), p.line) for p in posts] == [
        ("algoritmos-e-atencao.md", 1), ("o-sul-global-e-a-ordem-multipolar.md", 1)]
    assert posts[0].source == os.path.join(str(HUGO), "algoritmos-e-atencao.md")


def test_hugo_fields_from_yaml_and_toml_front_matter():
    posts = by_id(read_markdown(HUGO))
    toml = posts["algoritmos-e-atencao"].fields
    assert {k: v for k, v in toml.items() if k != "body"} == {
        "id": "algoritmos-e-atencao",
        "title": "Algoritmos de recomendação e a economia da atenção",
        "author": "Joana Ferraz Lima",
        "date": "2024-04-02",
        "tags": ["plataformas digitais", "algoritmos", "Ensaios"],
        "blurb": "O que uma plataforma aprende quando aprende o que nos prende.",
        "url": "/ensaios/algoritmos-e-atencao/",
    }
    # fenced code blocks stay in the body
    assert "```text\ntempo de tela -> anúncios -> receita\n```" in toml["body"]
    assert toml["body"].startswith("Toda plataforma") and toml["body"].endswith("o problema.")
    yaml_post = posts["sul-global-ordem-multipolar"].fields  # id from slug
    assert {k: v for k, v in yaml_post.items() if k != "body"} == {
        "id": "sul-global-ordem-multipolar",
        "title": "O Sul Global e a ordem multipolar",
        "author": ["Helena Vasconcelos Prado", "Tiago Ubirajara Mendes"],
        "date": "2024-07-21T09:30:00-03:00",
        "tags": ["geopolítica", "BRICS", "Sul Global", "Ensaios"],
        "blurb": "Uma ordem com muitos polos não é, por si só, uma ordem mais justa.",
        "lang": "pt",  # language: pt-br
    }
    assert "**três sentidos**" in yaml_post["body"]


def test_jekyll_posts_take_id_and_date_from_the_file_name():
    posts = records(read_markdown(JEKYLL))
    fields = [{k: v for k, v in p.fields.items() if k != "body"} for p in posts]
    assert fields == [
        {"id": "marco-temporal-e-a-terra", "title": "Marco temporal e a terra como memória",
         "author": "Tiago Ubirajara Mendes", "date": "2024-03-08",
         "tags": ["direito", "território", "questão agrária", "pensamento indígena"],
         "blurb": "A data como prova de presença, e o que ela apaga."},
        {"id": "o-agro-nao-e-pop",
         "title": "O agro não é pop: publicidade e concentração de terras",
         "author": "Ana Cecília Rocha",  # jekyll-seo-tag's {name: ...}
         "date": "2024-05-19T10:00:00-03:00",  # Jekyll's "2024-05-19 10:00:00 -0300"
         "tags": ["questão agrária", "agronegócio", "publicidade"],
         "url": "/ensaios/o-agro-nao-e-pop/", "lang": "pt"},
        {"id": "cabos-submarinos-e-soberania", "title": "Cabos submarinos e soberania",
         "author": ["Helena Vasconcelos Prado", "Joana Ferraz Lima"], "date": "2024-07-21",
         "tags": ["plataformas digitais", "infraestrutura", "geopolítica"],
         "blurb": "Por onde passam os dados, e quem pode cortá-los.", "lang": "en"},
    ]
    # the third file has CRLF line ends
    assert b"\r\n" in (JEKYLL / "2024-07-21-cabos-submarinos-e-soberania.md").read_bytes()
    assert posts[2].fields["body"] == (
        "This essay was first written in English. It maps the submarine cables that land "
        "on the\nBrazilian coast and asks who can switch them off.")


def test_markdown_problems_name_the_file_and_line_and_every_file_is_reported():
    site = INVALID / "markdown-site"
    items = list(read_markdown(site))
    posts = site / "posts"
    assert [i.fields["id"] for i in items if isinstance(i, Record)] == ["a-valido"]
    assert problems(items) == [
        f"{posts / 'bad-toml.md'}:4: front matter: TOML does not parse: Unclosed array "
        "(at the end of the front matter)",
        f"{posts / 'bad-yaml.md'}:4: front matter: YAML does not parse: found unexpected end "
        "of stream (column 31); while scanning a quoted scalar on line 2",
        f"{posts / 'not-a-mapping.md'}:2: front matter: must be a mapping of keys to values, "
        "got a list ['geopolítica', 'BRICS']",
        f"{posts / 'unclosed.md'}:1: front matter: YAML front matter opened with '---' on "
        "line 1 is never closed (expected a line '---')",
        f"{posts / 'windows-1252.md'}:2: encoding: not valid UTF-8 (byte 0xE1 at byte 19 of "
        "the line); looks like Latin-1/Windows-1252; re-save the file as UTF-8",
    ]


def write(path, text, encoding="utf-8"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def test_markdown_order_is_by_relative_path_whatever_the_creation_order(tmp_path):
    names = ["b.md", "a/z.markdown", "a-b.md", "a/b/c.md", "A.MD", "c.txt", ".oculto.md",
             ".git/x.md", "_drafts/rascunho.md", "_index.md", "secao/_index.md"]
    for name in reversed(names):
        write(tmp_path / name, f"---\ntitle: {name}\n---\ntexto\n")
    first = [r.fields["title"] for r in records(read_markdown(tmp_path))]
    assert first == ["A.MD", "a/b/c.md", "a/z.markdown", "a-b.md", "b.md"]
    for name in names:  # the same files written in another order read the same way
        (tmp_path / name).unlink()
    for name in names:
        write(tmp_path / name, f"---\ntitle: {name}\n---\ntexto\n")
    assert [r.fields["title"] for r in read_markdown(tmp_path)] == first


def test_markdown_page_bundles_json_front_matter_and_single_files(tmp_path):
    write(tmp_path / "posts" / "litio-e-transicao" / "index.md",
          '{\n  "title": "Lítio e transição",\n  "date": "2024-02-01",\n'
          '  "tags": ["mineração"]\n}\n\nCorpo do ensaio.\n')
    [bundle] = records(read_markdown(tmp_path))
    assert bundle.fields == {"id": "litio-e-transicao", "title": "Lítio e transição",
                             "date": "2024-02-01", "tags": ["mineração"],
                             "body": "Corpo do ensaio."}
    single = write(tmp_path / "solto.md", "Só texto, sem front matter.\n")
    [record] = records(read_markdown(single))
    assert record.fields == {"id": "solto", "body": "Só texto, sem front matter."}


def test_markdown_front_matter_values(tmp_path):
    write(tmp_path / "2023-01-05-nome-do-arquivo.md",
          "\ufeff---\nTitle: 1984\ndate: 2023-02-01 08:00:00\ntags: terra, água , \n"
          "category: ensaio\nauthors: []\nauthor: Ana\nsummary: 42\nlang: es\n"
          "permalink: /p/x/\n---\n\n\n  Recuo mantido.\n\n")
    [record] = records(read_markdown(tmp_path))
    assert record.fields == {"id": "nome-do-arquivo", "title": "1984",
                             "date": "2023-02-01T08:00:00", "tags": ["terra", "água", "ensaio"],
                             "author": "Ana", "blurb": "42", "url": "/p/x/",
                             "body": "  Recuo mantido."}


@pytest.mark.parametrize("flag", ["draft: true", "published: false", 'draft: "true"',
                                  "Draft: yes"])
def test_markdown_skips_unpublished_files(tmp_path, flag):
    write(tmp_path / "x.md", f"---\ntitle: X\n{flag}\n---\ntexto\n")
    write(tmp_path / "y.md", "---\ntitle: Y\ndraft: false\npublished: true\n---\ntexto\n")
    assert [r.fields["id"] for r in read_markdown(tmp_path)] == ["y"]


def test_markdown_wrong_types_are_passed_on_or_reported(tmp_path):
    write(tmp_path / "a.md", "---\ntitle: [um, dois]\ncategories: {a: 1}\n---\ntexto\n")
    write(tmp_path / "b.md", "---\ntitle: B\ndate: 21/07/2024\n---\ntexto\n")
    items = list(read_markdown(tmp_path))
    assert [str(i) for i in items[:1]] == [
        f"{tmp_path / 'a.md'}:1: categories: must be a list of names or a comma-separated "
        "string, got a mapping {'a': 1}"]
    assert items[1].fields["date"] == "21/07/2024"  # for the corpus to report


def test_markdown_yaml_is_loaded_safely(tmp_path):
    write(tmp_path / "x.md", "---\ntitle: !!python/object/apply:os.getcwd []\n---\ntexto\n")
    [problem] = read_markdown(tmp_path)
    assert problem.line == 2 and "could not determine a constructor" in problem.message


def test_markdown_without_pyyaml_tells_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "yaml", None)
    write(tmp_path / "toml.md", '+++\ntitle = "T"\n+++\ntexto\n')
    assert [r.fields["id"] for r in read_markdown(tmp_path)] == ["toml"]  # TOML needs nothing
    write(tmp_path / "yaml.md", "---\ntitle: Y\n---\ntexto\n")
    with pytest.raises(ImportError, match=r"pip install 'recommender\[site\]'"):
        list(read_markdown(tmp_path))


def test_markdown_missing_path_raises_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        list(read_markdown(tmp_path / "nada"))


# -- detection, registry, validation ------------------------------------------------------


@pytest.mark.parametrize(("name", "fmt"), [
    ("a.jsonl", "jsonl"), ("a.JSONL", "jsonl"), ("a.jsonl.gz", "jsonl"), ("a.ndjson", "jsonl"),
    ("export.xml", "wxr"), ("artigos.csv", "csv"), ("post.md", "markdown"),
    ("post.markdown", "markdown"),
])
def test_detect_format_by_name(name, fmt):
    assert detect_format(name) == fmt


def test_detect_format_directories_and_unknown_files(tmp_path):
    assert detect_format(tmp_path) == "markdown"
    unknown = write(tmp_path / "artigos.json", "[]")
    with pytest.raises(ValueError, match=r"known formats: jsonl .*wxr .*csv .*markdown .*"
                                         r"--format \{jsonl,wxr,csv,markdown\}"):
        detect_format(unknown)
    with pytest.raises(FileNotFoundError):
        detect_format(tmp_path / "nada")


GOOD = [("wxr", WXR, 4), ("csv", CSV, 5), ("markdown", HUGO, 2), ("markdown", JEKYLL, 3),
        ("jsonl", FIXTURES / "articles.jsonl", None)]


@pytest.mark.parametrize(("fmt", "path", "count"), GOOD)
def test_every_good_fixture_gives_valid_articles_through_the_registry(fmt, path, count):
    assert detect_format(path) == fmt
    articles = articles_from_records(READERS[fmt](path))
    assert all(isinstance(a, Article) for a in articles)
    if count is not None:
        assert len(articles) == count
        assert all(a.title and a.body for a in articles)


def test_articles_from_site_fixtures_have_parsed_dates_and_authors():
    wxr = {a.id: a for a in articles_from_records(read_wxr(WXR))}
    assert wxr["soberania-digital-e-o-sul-global"].date == dt.datetime(2024, 7, 21, 9, 30)
    assert wxr["entregadores-e-o-algoritmo"].date is None
    csv_articles = {a.id: a for a in articles_from_records(read_csv(CSV))}
    assert csv_articles["marco-temporal-leitura"].author == (
        "Tiago Ubirajara Mendes", "Ana Cecília Rocha")
    jekyll = articles_from_records(read_markdown(JEKYLL))
    assert [a.date for a in jekyll] == [
        dt.date(2024, 3, 8),
        dt.datetime(2024, 5, 19, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=-3))),
        dt.date(2024, 7, 21)]


def test_importing_the_package_loads_no_site_reader():
    code = ("import sys, recommender, recommender.formats; "
            "print(sorted(m for m in sys.modules if m.startswith('recommender.formats.') "
            "or m == 'yaml'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    loaded = set(ast.literal_eval(out.strip()))
    assert not loaded & {"recommender.formats.wxr", "recommender.formats.csvfile",
                         "recommender.formats.markdown", "yaml"}
