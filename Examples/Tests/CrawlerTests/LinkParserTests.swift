import Testing
@testable import Crawler

/// The tolerant `<a href>` parser on the malformed HTML it must read.
@Suite struct LinkParserTests {
    @Test func quotedSingleQuotedAndUnquotedValues() {
        let html = #"<a href="/one">1</a> <a href='/two'>2</a> <a href=/three>3</a> <a href=four?x=1#y>4"#
        #expect(LinkParser.hrefs(in: html) == ["/one", "/two", "/three", "four?x=1#y"])
    }

    @Test func tagAndAttributeNamesInAnyCase() {
        let html = "<A HREF=\"/upper\">U</A><a Href='/mixed'>M</a><A\nhref=/newline>N</A>"
        #expect(LinkParser.hrefs(in: html) == ["/upper", "/mixed", "/newline"])
    }

    @Test func spacesAroundEqualsAndOtherAttributes() {
        let html = "<a class=\"nav\" href = \"/spaced\" >s</a><a target=_blank HREF=/after rel=nofollow>a</a>"
            + "<a\n  title=\"go &gt; there\"\n  href=\"/lines\"\n>l</a>"
        #expect(LinkParser.hrefs(in: html) == ["/spaced", "/after", "/lines"])
    }

    @Test func theFirstOfTwoHrefsWins() {
        #expect(LinkParser.hrefs(in: #"<a href="/first" href="/second"/>x"#) == ["/first"])
    }

    @Test func unclosedElementsDoNotMatter() {
        let html = "<ul><li><a href=/a>a<li><a href=/b>b<li><a href=\"/c\">c</ul>"
        #expect(LinkParser.hrefs(in: html) == ["/a", "/b", "/c"])
    }

    @Test func aStrayLessThanSignInsideATagIsAnAttribute() {
        // "<span" cannot start a tag inside another tag: HTML5 reads it as an attribute name.
        #expect(LinkParser.hrefs(in: #"<a data-x=1 href="/x" <span>text</span></a>"#) == ["/x"])
    }

    @Test func onlyAnchorsCount() {
        let html = #"<link rel=stylesheet href="/style.css"><abbr href="/abbr">A</abbr><area href="/area"><a name=top>t</a>"#
        #expect(LinkParser.hrefs(in: html).isEmpty)
    }

    @Test func commentsScriptsStylesAndTitlesHoldNoLinks() {
        let html = """
            <!DOCTYPE html><?xml version="1.0"?><title>a <a href="/title"> b</title>
            <!-- <a href="/comment"> --><style>/* <a href="/style"> */</style>
            <SCRIPT>document.write('<a href="/script">x</a>'); if (a < b) {}</script>
            <textarea><a href="/textarea"></textarea><a href="/real">real</a>
            """
        #expect(LinkParser.hrefs(in: html) == ["/real"])
    }

    @Test func lessThanAsTextIsText() {
        #expect(LinkParser.hrefs(in: "1 < 2 and 3<4 <a href=/x>x</a> <= <") == ["/x"])
    }

    @Test func aTagCutOffByTheEndOfThePageIsDropped() {
        #expect(LinkParser.hrefs(in: #"<a href="/kept">k</a><a href="/cut""#) == ["/kept"])
        #expect(LinkParser.hrefs(in: #"<a href="/kept">k</a><a href="/unterminated"#) == ["/kept"])
        #expect(LinkParser.hrefs(in: "<a href=/kept>k</a><!-- never closed <a href=/x>") == ["/kept"])
    }

    @Test func anEmptyHrefIsThePageItself() {
        #expect(LinkParser.hrefs(in: "<a href>self</a><a href=\"\">self</a>") == ["", ""])
    }

    @Test func entitiesAreDecoded() {
        let html = #"<a href="/p?a=1&amp;b=2">1</a><a href="&#47;p&#x2F;12">2</a><a href="/q?x=&lt;&quot;&apos;&gt;">3</a>"#
        #expect(LinkParser.hrefs(in: html) == ["/p?a=1&b=2", "/p/12", "/q?x=<\"'>"])
    }

    @Test func namedReferencesNeedTheirSemicolon() {
        // "&lang" is an entity only as "&lang;": a query's "&lang=en" stays as written.
        let html = #"<a href="/p?ref=nav&lang=en&unknown;&amp">x</a>"#
        #expect(LinkParser.hrefs(in: html) == ["/p?ref=nav&lang=en&unknown;&amp"])
    }

    @Test func numericReferencesWithoutSemicolonAndNonASCII() {
        #expect(LinkParser.hrefs(in: #"<a href="/caf&#233;&#x20AC">x</a>"#) == ["/café€"])
    }
}
