using System.Collections.Generic;
using System.Linq;
using InteropGuard.Flow;
using InteropGuard.Interop;
using InteropGuard.Tests.Robustness;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Tests.Interop
{
    /// <summary>
    /// IG2001's syntax gate reads only the tokens where the tree's identifier record names a pinning word
    /// (<see cref="PinningScopeWords"/>); the walk of every node of the block (<see cref="PinningScopes.MayContain"/>) is the
    /// answer it must give. A block the positions wrongly skip would silently lose IG2001 findings; a block the record
    /// cannot vouch for (a skip of its reader overlaps it, or the tree has an escape) is walked.
    /// </summary>
    public class PinningScopeWordsTests
    {
        [Theory]
        [InlineData("fixed (byte* p = data) { Use(p); }", true)]
        [InlineData("byte* p = stackalloc byte[16]; Use(p);", true)]
        [InlineData("Span<byte> s = stackalloc[] { (byte)1, (byte)2 };", true)]
        [InlineData("var h = GCHandle.Alloc(data, GCHandleType.Pinned); h.Free();", true)]
        [InlineData("using var pin = memory.Pin();", true)]
        [InlineData("var h = @Alloc(data);", true)]
        [InlineData("Func<byte[], GCHandle> f = d => GCHandle.Alloc(d);", true)]
        [InlineData("var n = 1; var h = GCHandle.Alloc(n);", true)]
        // A name the compiler reads through a \u escape: the record cannot vouch for the tree, the walk decides.
        [InlineData("var h = GCHandle.\\u0041lloc(data);", true)]
        // A comment marker in a string hides the rest of the line from the record, a bare carriage return ends a comment
        // for the compiler but not for the record: the walk decides.
        [InlineData("var url = \"http://x\"; var h = GCHandle.Alloc(data);", true)]
        [InlineData("var c = \"/*\"; var h = GCHandle.Alloc(data); var d = \"*/\";", true)]
        [InlineData("// a note\rvar h = GCHandle.Alloc(data);", true)]
        [InlineData("/* a note */ var url = \"http://x\"; Use(null);", false)]
        // A skip that holds a word lets the walk decide; one that holds none answers at once, and the walk agrees.
        [InlineData("var url = \"http://x\"; Use(null); // then Pin it", false)]
        [InlineData("var url = \"http://x\"; fixed (byte* p = data) { Use(p); }", true)]
        [InlineData("var c = \"/*\"; byte* p = stackalloc byte[4]; Use(p); var d = \"*/\";", true)]
        [InlineData("var url = \"http://x\"; var h = GCHandle.\\u0041lloc(data);", true)]
        [InlineData("/* Alloc */ Use(null); /* fixed */ Use(null);", false)]
        // Look-alikes: longer names, the words only in a comment or a string, a generic Alloc, a declared name.
        [InlineData("var p = Marshal.AllocHGlobal(16); Marshal.FreeHGlobal(p);", false)]
        [InlineData("var pinned = true; var Pinned = pinned; Use(null);", false)]
        [InlineData("// fixed (byte* p = data) and GCHandle.Alloc\nUse(null);", false)]
        [InlineData("var s = \"stackalloc Pin Alloc fixed\\n\"; Use(null);", false)]
        [InlineData("var h = Alloc<int>(data);", false)]
        [InlineData("int Pin = 0; Pin = 1; Use(null);", true)]
        [InlineData("int Pin = 0;", false)]
        public void ThePositionsGiveTheWalksAnswer(string statements, bool mayContain)
        {
            var source = "using System; using System.Runtime.InteropServices;\nunsafe class C\n{\n    void M(byte[] data, Memory<byte> memory)\n    {\n        "
                         + statements + "\n    }\n    void Use(byte* p) { }\n    GCHandle Alloc(byte[] d) => default;\n    GCHandle Alloc<T>(byte[] d) => default;\n}\n";
            var tree = CSharpSyntaxTree.ParseText(source);
            var words = new PinningScopeWords(new InteropVocabulary(CSharpCompilation.Create("pinning", new[] { tree })));
            var method = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single(m => m.Identifier.ValueText == "M");
            Assert.Equal(mayContain, PinningScopes.MayContain(method));
            Assert.Equal(mayContain, words.MayContain(method));

            // With IG2001's text gate (the substrings anywhere in the span) read only where the record cannot answer: the
            // same as both gates asked in turn. An escaped name ('\u0041lloc') is where the text gate alone says no.
            var textGate = new TreeTextPositions(PinningScopes.GateText);
            Assert.Equal(textGate.SpanMayHold(tree, method.Span) && mayContain, words.MayContain(method, textGate));

            // The same from a file large enough that the compiler holds it in chunks, which the record's skips are read from
            // through a buffer rather than a string.
            var large = Microsoft.CodeAnalysis.Text.SourceText.From(
                new System.IO.MemoryStream(System.Text.Encoding.UTF8.GetBytes(source + new string('\n', 50_000))), System.Text.Encoding.UTF8);
            Assert.Equal("LargeText", large.GetType().Name);
            var largeTree = CSharpSyntaxTree.ParseText(large);
            var largeWords = new PinningScopeWords(new InteropVocabulary(CSharpCompilation.Create("pinning", new[] { largeTree })));
            var largeMethod = largeTree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single(m => m.Identifier.ValueText == "M");
            Assert.Equal(mayContain, largeWords.MayContain(largeMethod));
        }

        [Fact]
        public void EveryBlockOfTheRepositoryGetsTheWalksAnswer()
        {
            var agreement = new GateAgreement();
            var gated = new GateAgreement();
            foreach (var source in SourceHarvest.All)
            {
                var tree = CSharpSyntaxTree.ParseText(source.Text);
                var words = new PinningScopeWords(new InteropVocabulary(CSharpCompilation.Create("harvest", new[] { tree })));
                var textGate = new TreeTextPositions(PinningScopes.GateText);
                foreach (var block in GateAgreement.Bodies(tree))
                {
                    agreement.Compare(source.Name, block, PinningScopes.MayContain(block), words.MayContain(block));
                    gated.Compare(source.Name, block, textGate.SpanMayHold(tree, block.Span) && PinningScopes.MayContain(block), words.MayContain(block, textGate));
                }
            }

            agreement.AssertAgreed(minimumYes: 30, minimumNo: 150, "may pin");
            gated.AssertAgreed(minimumYes: 30, minimumNo: 150, "may pin and hold a gate substring");
        }
    }
}
