using System;
using System.Collections.Generic;
using System.Linq;
using System.IO;
using System.Text;
using InteropGuard.Interop;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
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

        [Fact]
        public void AWholeTextIsReadTheSameFromAStringAChunkedFileOrASmallText()
        {
            // Above the large-text bound a string-made text is read as its string and a file's chunks through the buffer.
            var body = "class C { [DllImport(\"x\")] static extern void f(); }\n" + new string(' ', 50_000) + "// end";
            var fromString = SourceText.From(body);
            var fromFile = SourceText.From(new MemoryStream(Encoding.UTF8.GetBytes(body)), Encoding.UTF8);
            Assert.Equal("LargeText", fromFile.GetType().Name);
            Assert.NotEqual("LargeText", fromString.GetType().Name);
            foreach (var text in new[] { fromString, fromFile, SourceText.From("class D { }") })
            {
                var expected = text.ToString();
                Assert.Equal(expected, IdentifierRuns.Read(text, span => span.ToString()));
            }

            Assert.Equal(InteropVocabulary.Scan(fromString), InteropVocabulary.Scan(fromFile));
        }

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

        // Where Roslyn's chunked text of a file read from a stream ends its first chunk (40K characters, LargeText), and where
        // the vocabulary stops reading a text as a string and reads it through its buffer instead.
        private const int ChunkBoundary = 40 * 1024;

        [Theory]
        [InlineData("int x = 1; fixed", (int)InteropWords.Pinning)]
        [InlineData("// a comment that says fixed", (int)InteropWords.None)]
        [InlineData("/* a comment that says fixed */", (int)InteropWords.None)]
        [InlineData("string s = \"fixed", (int)InteropWords.Pinning)]
        [InlineData("string s = @\"fixed", (int)InteropWords.Pinning)]
        [InlineData("string s = \"\"\"\nfixed", (int)InteropWords.Pinning)]
        [InlineData("string s = $\"{x}fixed", (int)InteropWords.Pinning)]
        [InlineData("int @fixed", (int)InteropWords.Pinning)]
        [InlineData("int \\u0066ixed", (int)InteropWords.None)]
        [InlineData("#if NEVER\nfixed", (int)InteropWords.Pinning)]
        [InlineData("[DllImport", (int)InteropWords.NativeDeclaration)]
        [InlineData("var h = new SafeFileHandle", (int)InteropWords.HandleType)]
        public void AWordAcrossTheChunkBoundaryOfALargeTextIsReadAsInASmallOne(string before, int expectedWords)
        {
            var expected = (InteropWords)expectedWords;
            const InteropWords Asked = InteropWords.Pinning | InteropWords.NativeDeclaration | InteropWords.HandleType;
            // The word's first half ends the first chunk, its second half starts the next; the same line in a small text is
            // read as a string, the large one through the buffer: both give the same words, and the large one's recorded
            // runs and hashes are those of the plain reading of the definition.
            var word = before.Substring(before.Length - 5);
            var line = before.Substring(0, before.Length - 5);
            var small = line + word + " x; }\n";
            var padding = new StringBuilder();
            for (var n = 0; padding.Length < ChunkBoundary - 200; n++)
            {
                padding.Append("class Plain").Append(n).Append(" { int M() => ").Append(n).Append("; }\n");
            }

            padding.Append(' ', ChunkBoundary - padding.Length - line.Length - 3);
            var large = padding + line + word + " x; }\n" + padding;
            Assert.Equal(ChunkBoundary - 3, large.IndexOf(line + word, padding.Length - 1, StringComparison.Ordinal) + line.Length);

            var fromStream = SourceText.From(new MemoryStream(Encoding.UTF8.GetBytes(large)), Encoding.UTF8);
            Assert.Equal(expected, InteropVocabulary.Scan(SourceText.From(small)) & Asked);
            Assert.Equal(expected, InteropVocabulary.Scan(fromStream) & Asked);
            Assert.Equal(expected, InteropVocabulary.Scan(SourceText.From(large)) & Asked);

            var tree = CSharpSyntaxTree.ParseText(fromStream);
            var identifiers = new InteropVocabulary(CSharpCompilation.Create("Large", new[] { tree }, ReferenceAssemblies.Framework)).Identifiers(tree);
            var reference = ReferenceRuns(large);
            Assert.Equal(reference.Count, identifiers.Count);
            for (var i = 0; i < reference.Count; i++)
            {
                Assert.Equal(reference[i].Start, identifiers.StartAt(i));
                Assert.Equal(IdentifierRuns.Hash(large.Substring(reference[i].Start, reference[i].Length)), identifiers.HashAt(i));
            }

            Assert.Equal(before.Contains("\\u"), identifiers.MaySpellOtherwise);
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

        /// <summary>Every run of the reader, in order.</summary>
        internal static List<(int Start, int Length)> Runs(string text)
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
