using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Tests.Interop
{
    /// <summary>
    /// The reader every text gate shares (<see cref="IdentifierRunReader"/>): its runs are those of a plain reading of its
    /// definition — letters (any script) and '_' start a run, letters, digits and '_' continue it, and <c>//</c> to the
    /// next line feed and <c>/*</c> to the next <c>*/</c> are skipped wherever they stand, strings included — and the
    /// vocabulary's answers on the shapes where text and tokens part ways are pinned.
    /// </summary>
    public class IdentifierRunReaderTests
    {
        private static InteropWords Scan(string text) => InteropVocabulary.Scan(SourceText.From(text));

        [Theory]
        [InlineData("")]
        [InlineData("/")]
        [InlineData("a/")]
        [InlineData("a/*")]
        [InlineData("a /* b")]
        [InlineData("a // b")]
        [InlineData("a // b\r\nc")]
        [InlineData("x1 _y 2z __ 9")]
        [InlineData("Größe = naïve + Ωmega_2 + ж٣ + a\u0300b")]
        [InlineData("\\u0049ntPtr p; @extern x; #if DEBUG\nextern\n#endif")]
        [InlineData("\"http://x\"; Marshal.GetLastWin32Error(); /**/fixed/***/ a*/b")]
        public void RunsAreThoseOfTheDefinition(string text)
        {
            Assert.Equal(ReferenceRuns(text), Runs(text));
        }

        [Fact]
        public void RunsAreThoseOfTheDefinitionOnRandomText()
        {
            // Texts drawn from the characters where the reading branches: comment openers and closers, line breaks,
            // ASCII and other letters and digits, escapes and quotes.
            const string Alphabet = "/*\n\r aZ_9\\\"@#éж٣\u0300\u00A0.";
            var random = new Random(12);
            for (var round = 0; round < 3000; round++)
            {
                var text = new StringBuilder();
                var length = random.Next(0, 60);
                for (var i = 0; i < length; i++)
                {
                    text.Append(Alphabet[random.Next(Alphabet.Length)]);
                }

                Assert.Equal(ReferenceRuns(text.ToString()), Runs(text.ToString()));
            }
        }

        [Fact]
        public void AWordSplitByAStringOrACommentIsNotTheWord()
        {
            Assert.Equal(InteropWords.None, Scan("var s = \"Dll\" + \"Import\";") & InteropWords.NativeDeclaration);
            Assert.Equal(InteropWords.None, Scan("Dll/* */Import x;") & InteropWords.NativeDeclaration);
            Assert.Equal(InteropWords.None, Scan("var s = \"Dll\"Import;") & InteropWords.NativeDeclaration);
            Assert.Equal(InteropWords.None, Scan("int externalId; int Unfixed; int fixedRate;") & (InteropWords.NativeDeclaration | InteropWords.Pinning));
        }

        [Fact]
        public void StringsAndInactiveRegionsCountCommentsDoNot()
        {
            // The vocabulary reads text, not tokens: a word in any string form or in a region #if leaves out lets code
            // through (a gate may do that), a word only in a comment does not.
            Assert.Equal(InteropWords.NativeDeclaration, Scan("var s = @\"extern\";") & InteropWords.NativeDeclaration);
            Assert.Equal(InteropWords.NativeDeclaration, Scan("var s = \"\"\"\n  DllImport\n  \"\"\";") & InteropWords.NativeDeclaration);
            Assert.Equal(InteropWords.NativeDeclaration, Scan("var s = $\"{x}extern\";") & InteropWords.NativeDeclaration);
            Assert.Equal(InteropWords.NativeDeclaration, Scan("#if NEVER\n[DllImport(\"l\")] static extern void f();\n#endif\nclass C { }") & InteropWords.NativeDeclaration);
            Assert.Equal(InteropWords.None, Scan("// [DllImport(\"l\")] static extern void f();\nclass C { }"));
            Assert.Equal(InteropWords.None, Scan("/* unsafe fixed Marshal.AllocHGlobal */ class C { }"));
            Assert.Equal(InteropWords.None, Scan("/// <see cref=\"Marshal\"/> is not used here\nclass C { }"));
        }

        [Fact]
        public void AnEscapedIdentifierIsReadAsItsText()
        {
            // Today's reading, kept: after a backslash the run is "u0044llImport", not DllImport. Gates that must see every
            // occurrence of a name check TreeIdentifiers.MaySpellOtherwise instead of trusting the runs.
            Assert.Equal(InteropWords.None, Scan("[\\u0044llImport(\"l\")] static void f();") & InteropWords.NativeDeclaration);
            Assert.Equal((2, 13), Runs("[\\u0044llImport(\"l\")] static void f();")[0]);
        }

        [Fact]
        public void AFilteredReadingGivesTheRunsThatPassItsMasks()
        {
            // Masks that keep a few lengths of a few first characters (as the vocabulary's do), every length of one, and
            // none at all: the runs given are exactly the unfiltered runs whose first character is outside ASCII, whose
            // length is 64 or more, or whose length's bit is set.
            var masks = new ulong[128];
            masks['a'] = (1UL << 1) | (1UL << 3);
            masks['Z'] = ulong.MaxValue;
            masks['_'] = 1UL << 2;
            var none = new ulong[128];
            var random = new Random(7);
            const string Alphabet = "/*\n aZ_9éж٣.";
            var texts = new List<string> { "a aa aaa Zed _x __ " + new string('a', 64) + " " + new string('b', 70), "éa // a\nZ /* aaa */ a" };
            for (var round = 0; round < 2000; round++)
            {
                var text = new StringBuilder();
                for (var i = random.Next(0, 60); i > 0; i--)
                {
                    text.Append(Alphabet[random.Next(Alphabet.Length)]);
                }

                texts.Add(text.ToString());
            }

            foreach (var text in texts)
            {
                foreach (var mask in new[] { masks, none })
                {
                    var expected = Runs(text).Where(r => text[r.Start] >= 128 || r.Length >= 64 || (mask[text[r.Start]] & (1UL << r.Length)) != 0).ToList();
                    Assert.Equal(expected, Runs(text, mask));
                }
            }

            Assert.Equal(new[] { (0, 1), (5, 3), (9, 3), (13, 2), (16, 2) }, Runs("a aa aaa Zed _x __ ", masks));
        }

        [Fact]
        public void TheHashedReadingGivesTheSameRunsWithTheirHashes()
        {
            // The recording scan reads runs and hashes in one pass: every run of the plain reading, in order, each with the hash
            // IdentifierRuns computes from the text (and Hash(string) from the word), on the edge cases and random texts.
            var random = new Random(21);
            const string Alphabet = "/*\n\r aZ_9\\\"@#éж٣\u0300.";
            var texts = new List<string>
            {
                "", "x", "__", "a1 b22 _c333", "DllImport extern @fixed \\u0066ixed Größe ж٣ a\u0300b",
                "Safe" + new string('x', 70) + "Handle // tail", "a /* b */ c // d\ne",
            };
            for (var round = 0; round < 2000; round++)
            {
                var text = new StringBuilder();
                for (var i = random.Next(0, 60); i > 0; i--)
                {
                    text.Append(Alphabet[random.Next(Alphabet.Length)]);
                }

                texts.Add(text.ToString());
            }

            foreach (var text in texts)
            {
                var hashed = new List<(int Start, int Length)>();
                for (var reader = new IdentifierRunReader(text); reader.MoveNextHashed();)
                {
                    hashed.Add((reader.Start, reader.Length));
                    Assert.Equal(IdentifierRuns.Hash(text, reader.Start, reader.Length), reader.Hash);
                    Assert.Equal(IdentifierRuns.Hash(text.Substring(reader.Start, reader.Length)), reader.Hash);
                }

                Assert.Equal(Runs(text), hashed);
            }
        }

        private static List<(int Start, int Length)> Runs(string text, ulong[] lengthsByFirst)
        {
            var runs = new List<(int, int)>();
            for (var reader = new IdentifierRunReader(text); reader.MoveNext(lengthsByFirst);)
            {
                runs.Add((reader.Start, reader.Length));
            }

            return runs;
        }

        private static List<(int Start, int Length)> Runs(string text)
        {
            var runs = new List<(int, int)>();
            for (var reader = new IdentifierRunReader(text); reader.MoveNext();)
            {
                runs.Add((reader.Start, reader.Length));
            }

            return runs;
        }

        // The definition, read one character at a time with no shortcut.
        private static List<(int Start, int Length)> ReferenceRuns(string text)
        {
            var runs = new List<(int, int)>();
            var i = 0;
            while (i < text.Length)
            {
                if (text[i] == '/' && i + 1 < text.Length && text[i + 1] == '/')
                {
                    while (i < text.Length && text[i] != '\n')
                    {
                        i++;
                    }

                    continue;
                }

                if (text[i] == '/' && i + 1 < text.Length && text[i + 1] == '*')
                {
                    var close = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                    i = close < 0 ? text.Length : close + 2;
                    continue;
                }

                if (char.IsLetter(text[i]) || text[i] == '_')
                {
                    var start = i;
                    while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_'))
                    {
                        i++;
                    }

                    runs.Add((start, i - start));
                    continue;
                }

                i++;
            }

            return runs;
        }
    }
}
