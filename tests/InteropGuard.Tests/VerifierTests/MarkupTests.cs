using System.Linq;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Tests.VerifierTests
{
    public class MarkupTests
    {
        [Fact]
        public void ParsesNestedNamedAndEmptySpans()
        {
            var markup = Markup.Parse("a{|#0:b[|c|]{|IG3001:d|}|}e[||]f");
            Assert.Equal("abcdef", markup.Text);
            Assert.Equal(
                new[] { "#0 [1..4)", "(null) [2..3)", "IG3001 [3..4)", "(null) [5..5)" },
                markup.Spans.Select(s => $"{s.Name ?? "(null)"} {s.Span}").ToArray());
            Assert.True(markup.Spans[0].IsLocationMarker);
            Assert.Equal(0, markup.Spans[0].LocationKey);
        }

        [Fact]
        public void LeavesOrdinaryCodeAlone()
        {
            string code = "var x = a[i] | b; var d = new { A = 1 }; if (a || b) { }";
            Assert.Equal(code, Markup.Parse(code).Text);
            Assert.Empty(Markup.Parse(code).Spans);
        }

        [Theory]
        [InlineData("a[|b", "never closed")]
        [InlineData("a|]b", "does not close")]
        [InlineData("[|a|}", "does not close")]
        [InlineData("{|IG3001:a|]", "does not close")]
        [InlineData("{|bad id:a|}", "must be followed by a diagnostic id")]
        [InlineData("{|#x:a|}", "must be followed by a diagnostic id")]
        public void RejectsMalformedMarkup(string text, string expected)
        {
            var e = Assert.Throws<VerificationException>(() => Markup.Parse(text));
            MessageAssert.Contains(expected, e);
        }

        [Fact]
        public void RenderingRoundTrips()
        {
            string source = "a{|X:b{|Y:c|}{|Z:|}d|}e";
            var markup = Markup.Parse(source);
            string rendered = MarkupRendering.Render(markup.Text, markup.Spans.Select(s => (s.Name!, s.Span)));
            Assert.Equal(source, rendered);
            Assert.Equal("{|A:|}{|B:x|}", MarkupRendering.Render("x", new[] { ("A", new TextSpan(0, 0)), ("B", new TextSpan(0, 1)) }));
        }

        [Fact]
        public void DiffShowsChangedLinesAndWhitespace()
        {
            string diff = TextDiff.Unified("one\ntwo\nthree\n", "one\r\n2\r\nthree\r\n");
            Assert.Contains("- two\n+ 2\n", diff);
            Assert.DoesNotContain("- one", diff);

            string whitespace = TextDiff.Unified("a\n  b\n", "a\n    b\n");
            Assert.Contains("- ··b¶", whitespace);
            Assert.Contains("+ ····b¶", whitespace);
        }
    }
}
