using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using InteropGuard.Interop;
using InteropGuard.Tests.Robustness;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace InteropGuard.Tests.Interop
{
    /// <summary>
    /// NameWords reads names by hand instead of with its former regular expression; the two must split every name the
    /// same way, or the retaining reading (and with it IG1002, IG2003, IG3001) would change its answers.
    /// </summary>
    public class NameWordsTests
    {
        private static readonly Regex Former = new Regex("[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", RegexOptions.CultureInvariant);

        private static List<string> ByRegex(string name) => Former.Matches(name).Cast<Match>().Select(m => m.Value.ToLowerInvariant()).ToList();

        [Theory]
        [InlineData("igs_register_buffer", "igs register buffer")]
        [InlineData("RegisterBuffer", "register buffer")]
        [InlineData("CancelIOEx", "cancel io ex")]
        [InlineData("ABc", "a bc")]
        [InlineData("IO2", "io 2")]
        [InlineData("AB1x", "ab 1x")]
        [InlineData("A1", "a1")]
        [InlineData("SetWindowsHookExW", "set windows hook ex w")]
        [InlineData("_cb", "cb")]
        [InlineData("glfwSetKeyCallback", "glfw set key callback")]
        [InlineData("URLDownloadToFileA", "url download to file a")]
        [InlineData("x__Y__Z", "x y z")]
        [InlineData("ÄpfelSet_ß9", "pfel set 9")]
        [InlineData("", "")]
        [InlineData("___", "")]
        public void SplitsLikeTheRegularExpression(string name, string words)
        {
            var expected = words.Length == 0 ? new List<string>() : words.Split(' ').ToList();
            Assert.Equal(expected, ByRegex(name));
            Assert.Equal(expected, NameWords.Of(name));
        }

        [Fact]
        public void EveryShortMixOfCapitalsSmallLettersDigitsAndUnderscoresSplitsLikeTheRegularExpression()
        {
            // Every string of up to five characters over 'A', 'B', 'a', 'b', '1', '_', 'é': all the case changes, runs and
            // lookaheads the expression distinguishes.
            const string alphabet = "ABab1_\u00e9";
            var names = new List<string> { string.Empty };
            var all = new List<string>();
            for (var length = 1; length <= 5; length++)
            {
                names = names.SelectMany(prefix => alphabet.Select(c => prefix + c)).ToList();
                all.AddRange(names);
            }

            var differing = all.Where(name => !ByRegex(name).SequenceEqual(NameWords.Of(name))).Take(10).ToList();
            Assert.Empty(differing);
        }

        [Fact]
        public void EveryIdentifierOfTheRepositorysSourcesSplitsLikeTheRegularExpression()
        {
            var names = new HashSet<string>();
            foreach (var source in SourceHarvest.All)
            {
                foreach (var token in CSharpSyntaxTree.ParseText(source.Text).GetRoot().DescendantTokens())
                {
                    if (token.IsKind(SyntaxKind.IdentifierToken) || token.IsKind(SyntaxKind.StringLiteralToken))
                    {
                        names.Add(token.ValueText);
                    }
                }
            }

            Assert.True(names.Count > 2000, "too few names: " + names.Count);
            var differing = names.Where(name => !ByRegex(name).SequenceEqual(NameWords.Of(name))).Take(10).ToList();
            Assert.Empty(differing);
        }
    }
}
