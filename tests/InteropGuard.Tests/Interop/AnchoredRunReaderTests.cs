using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Tests.Interop
{
    /// <summary>
    /// The search in front of the vocabulary's words-only scan (<see cref="Anchors"/>, <see cref="AnchoredRunReader"/>):
    /// its answer must be the full reader's on every text, whatever the text's shape — so the tests compare the two
    /// readings on texts built to put words where the search's blocks, the reader's comments and Roslyn's chunks part ways.
    /// </summary>
    public class AnchoredRunReaderTests
    {
        private static readonly ulong[] EveryLength = Enumerable.Repeat(ulong.MaxValue, 128).ToArray();

        [Fact]
        public void EveryWordAndEverySafeHandleNameHoldsAnAnchor()
        {
            var anchors = InteropVocabulary.WordAnchors;
            Assert.NotNull(anchors);
            foreach (var word in InteropVocabulary.AllWords.Append("SafeFileHandle").Append("Safe_Handle"))
            {
                Assert.Contains(anchors!.Strings, anchor => word.Contains(anchor, StringComparison.Ordinal));
            }

            // More anchors than the search compares in registers would be searched by its slower loop.
            Assert.InRange(anchors!.PairCount, 1, Anchors.UnrolledPairs);
            Assert.InRange(anchors.QuadrupleCount, 1, Anchors.UnrolledQuadruples);
            Assert.Equal(anchors.Strings.Count, anchors.PairCount + anchors.QuadrupleCount);
        }

        [Fact]
        public void AWordNoPreferredAnchorCoversBringsItsOwnPair()
        {
            var anchors = Anchors.For(new[] { "alpha", "graph", "beta", "zz" }, "xy ph zz");
            Assert.Equal(new[] { "ph", "zz", "be" }, anchors!.Strings);

            // Quadruples are taken as pairs are; a preferred anchor of another length is not taken.
            anchors = Anchors.For(new[] { "malloc", "alpha", "mmap" }, "llo lloc mmap lp");
            Assert.Equal(new[] { "lloc", "mmap", "lp" }, anchors!.Strings);
            Assert.Equal((1, 2), (anchors.PairCount, anchors.QuadrupleCount));
            Assert.Null(Anchors.For(new[] { "alpha", "b" }, "ph"));
            Assert.Null(Anchors.For(new[] { "alpha", "größe" }, "ph"));
        }

        [Fact]
        public void TheRunsAroundTheAnchorsAreTheRunsThatHoldOne()
        {
            // Without comments the search gives exactly the reader's runs that hold an anchor; with them, those and maybe runs
            // inside comments. 'ɬ' (U+026C) followed by 'l' has the vector code of "ll", and 'ɯ' (U+026F) followed by 'c' that
            // of "oc": "ɬloc" and "llɯc" look like "lloc" to the vectors and must be rejected by the exact test.
            var anchors = Anchors.For(new[] { "malloc", "fixed", "Handle" }, "lloc ix dl")!;
            Assert.Equal((2, 1), (anchors.PairCount, anchors.QuadrupleCount));
            AssertRunsAroundAnchors(anchors, "locixdl aZ_9é\u026F\u026C.\n", new Random(5));
        }

        [Fact]
        public void MoreAnchorsThanRegistersAreSearchedAsFewAre()
        {
            // 24 pairs and 9 quadruples: the search's loop over its arrays, not the unrolled one.
            var words = Enumerable.Range(0, 24).Select(k => new string((char)('a' + k), 1) + "q").ToList();
            var quadruples = new[] { "abcd", "bcda", "cdab", "dabc", "acbd", "bdac", "cadb", "dbca", "abdc" };
            var anchors = Anchors.For(words.Concat(quadruples.Select(q => q + "x")), string.Join(" ", quadruples))!;
            Assert.True(anchors.PairCount > Anchors.UnrolledPairs && anchors.QuadrupleCount > Anchors.UnrolledQuadruples);
            AssertRunsAroundAnchors(anchors, "abcdqx aq_9.\n", new Random(11));
        }

        private static void AssertRunsAroundAnchors(Anchors anchors, string alphabet, Random random)
        {
            var withComments = alphabet + "/*";
            for (var round = 0; round < 3000; round++)
            {
                var chars = round % 2 == 0 ? alphabet : withComments;
                var text = new StringBuilder();
                for (var i = random.Next(0, 120); i > 0; i--)
                {
                    text.Append(chars[random.Next(chars.Length)]);
                }

                var s = text.ToString();
                var holding = IdentifierRunReaderTests.Runs(s).Where(run => HoldsAnAnchor(s, run, anchors)).ToList();
                var anchored = AnchoredRuns(s, anchors, EveryLength);
                Assert.Equal(anchored.Distinct().Count(), anchored.Count);
                Assert.Equal(anchored.OrderBy(run => run.Start).ToList(), anchored);
                if (round % 2 == 0)
                {
                    Assert.Equal(holding, anchored);
                }
                else
                {
                    Assert.Empty(holding.Except(anchored));
                }
            }
        }

        [Fact]
        public void EachWordAtEveryOffsetOfABlockIsFoundAsTheFullReaderFindsIt()
        {
            // Every word and a Safe…Handle name, alone, glued to a letter or a digit, and in a comment, at every offset of the
            // first blocks of the search and just before the text's end.
            var words = InteropVocabulary.AllWords.Append("SafeWaitHandle").ToList();
            foreach (var word in words)
            {
                for (var offset = 0; offset < 40; offset++)
                {
                    var pad = new string(' ', offset);
                    foreach (var text in new[] { pad + word, pad + word + " ", pad + "x" + word, pad + "9" + word, pad + word + "9", pad + "// " + word, pad + "/*" + word + "*/ a", pad + "\"" + word + "\"" })
                    {
                        AssertAgrees(text);
                    }
                }
            }
        }

        [Fact]
        public void GeneratedTextsAreReadAsTheFullReaderReadsThem()
        {
            // Texts made of the fragments where the readings could part: words and their halves, comment openers and closers,
            // strings, verbatim strings, #if regions, escapes, surrogates, letters outside ASCII, digits, long lines.
            var random = new Random(17);
            var words = InteropVocabulary.AllWords.ToArray();
            var fragments = new[]
            {
                " ", "\n", "\r\n", "\r", "\t", "//", "/*", "*/", "/", "*", "\"", "@\"", "\"\"\"", "$\"{", "}", "#if NEVER\n", "#else\n", "#endif\n",
                "\\u0066", "@", "_", "9", "x", "é", "\u026F", "\uD83D\uDE00", "\uD83D", "\uDE00", "Safe", "Handle", "Saf", "eHandle",
                "Get", "Pin", "alloc", "Alloc", "int", "class C {", "(", ")", ";", new string('a', 70), new string(' ', 300),
            };
            for (var round = 0; round < 4000; round++)
            {
                var text = new StringBuilder();
                for (var i = random.Next(0, 60); i > 0; i--)
                {
                    if (random.Next(4) == 0)
                    {
                        var word = words[random.Next(words.Length)];
                        text.Append(random.Next(3) == 0 ? word.Substring(0, random.Next(word.Length)) : word);
                    }
                    else
                    {
                        text.Append(fragments[random.Next(fragments.Length)]);
                    }
                }

                AssertAgrees(text.ToString());
            }
        }

        [Fact]
        public void ALargeTextReadInChunksIsReadAsTheFullReaderReadsIt()
        {
            // Above Roslyn's large-text size a file's text is held in chunks and read through the thread's buffer: words across
            // the first chunk's end (40K characters) and in the text's last characters.
            var plain = new StringBuilder();
            for (var n = 0; plain.Length < 45 * 1024; n++)
            {
                plain.Append("class Plain").Append(n).Append(" { int M() => ").Append(n).Append("; } // a note\n");
            }

            foreach (var word in new[] { "fixed", "DllImport", "SafeFileHandle", "GCHandle", "stackalloc" })
            {
                for (var shift = -6; shift <= 6; shift += 3)
                {
                    var at = (40 * 1024) - (word.Length / 2) + shift;
                    foreach (var body in new[] { plain.ToString().Insert(at, " " + word + " "), plain.ToString().Insert(at, "//" + word + "\n"), plain + word })
                    {
                        var fromStream = SourceText.From(new MemoryStream(Encoding.UTF8.GetBytes(body)), Encoding.UTF8);
                        Assert.Equal("LargeText", fromStream.GetType().Name);
                        Assert.Equal(InteropVocabulary.ScanEveryRun(fromStream), InteropVocabulary.Scan(fromStream));
                        Assert.Equal(InteropVocabulary.ScanEveryRun(SourceText.From(body)), InteropVocabulary.Scan(SourceText.From(body)));
                    }
                }
            }
        }

        private static void AssertAgrees(string text)
        {
            var source = SourceText.From(text);
            Assert.True(InteropVocabulary.ScanEveryRun(source) == InteropVocabulary.Scan(source), "The readings part on: " + text);
        }

        private static bool HoldsAnAnchor(string text, (int Start, int Length) run, Anchors anchors)
            => anchors.Strings.Any(anchor => text.Substring(run.Start, run.Length).Contains(anchor, StringComparison.Ordinal));

        private static List<(int Start, int Length)> AnchoredRuns(string text, Anchors anchors, ulong[] lengthsByFirst)
        {
            var runs = new List<(int, int)>();
            for (var reader = new AnchoredRunReader(text.AsSpan(), anchors, lengthsByFirst); reader.MoveNext();)
            {
                runs.Add((reader.Start, reader.Length));
            }

            return runs;
        }
    }
}
