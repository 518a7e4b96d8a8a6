using System;
using System.Collections.Generic;
using System.Linq;

namespace InteropGuard.Tests.Meta
{
    /// <summary>
    /// The analyzer assembly is layered (docs/architecture.md, Layers): the project's top files, then Interop/ (what
    /// interop is), then Flow/ (the analyses of bodies), then Rules/ and Baseline/. A layer uses only the layers below
    /// it, so Interop/ and Flow/ never depend on each other both ways.
    /// </summary>
    public class LayeringTests
    {
        private static readonly IReadOnlyDictionary<string, string[]> Allowed = new Dictionary<string, string[]>
        {
            [string.Empty] = new[] { string.Empty },
            ["Interop"] = new[] { string.Empty, "Interop" },
            ["Flow"] = new[] { string.Empty, "Interop", "Flow" },
        };

        // Binding every file of the analyzer is the cost of these tests: once for both.
        private static readonly Lazy<SourceLayers> Analyzer = new Lazy<SourceLayers>(SourceLayers.OfTheAnalyzer);

        [Fact]
        public void EachLayerOfTheAnalyzerUsesOnlyTheLayersBelowIt()
        {
            var layers = Analyzer.Value;
            Assert.Empty(layers.Errors.Select(e => e.ToString()));
            var violations = layers.Violations(Allowed);
            Assert.True(violations.Count == 0, "References against the layering:\n" + string.Join("\n", violations));
        }

        [Fact]
        public void EachFileOfTheAnalyzerIsInItsFoldersNamespace()
        {
            var misplaced = Analyzer.Value.MisplacedTypes().ToList();
            Assert.True(misplaced.Count == 0, string.Join("\n", misplaced));
        }

        // The checker itself: a reference that no using line shows must still be found.
        [Theory]
        [InlineData("fully qualified", "class A { int M() => InteropGuard.Flow.B.Count(); }")]
        [InlineData("a cast", "using System; class A { object M(Func<object> f) => (InteropGuard.Flow.B)f(); }")]
        [InlineData("only inferred", "class A { object M() { var x = Slot.Make(); return x; } }")]
        [InlineData("a member of an inferred value", "class A { int M() => Slot.Make().Size; }")]
        [InlineData("extension method", "class A { int M(string s) => s.Twice(); }")]
        [InlineData("unused using", "using InteropGuard.Flow; class A { }")]
        [InlineData("generic argument", "class A { System.Collections.Generic.List<InteropGuard.Flow.B>? items; int N => items!.Count; }")]
        [InlineData("untyped lambda parameter", "using System; class A { int M(Func<Func<InteropGuard.Flow.B, int>, int> f) => f(b => 1); }")]
        public void TheCheckerFindsAReferenceToAHigherLayer(string shape, string body)
        {
            var violations = Check("Interop/A.cs", "namespace InteropGuard.Interop { " + body + " }");
            Assert.True(violations.Count > 0, shape + ": not found");
            Assert.All(violations, v => Assert.StartsWith("Interop/A.cs: uses Flow/", v, StringComparison.Ordinal));
        }

        [Theory]
        [InlineData("Interop/A.cs", "own layer and the top", "namespace InteropGuard.Interop { class A { int M() => Top.One() + new Other().Two; } }")]
        [InlineData("Flow/A.cs", "Flow uses Interop", "using InteropGuard.Interop; namespace InteropGuard.Flow { class A { int M() => new Other().Two + Slot.Make().Size; } }")]
        [InlineData("Rules/A.cs", "Rules are not checked", "namespace InteropGuard.Rules { class A { int M() => InteropGuard.Flow.B.Count(); } }")]
        public void TheCheckerAcceptsReferencesDownward(string path, string shape, string source)
        {
            var violations = Check(path, source);
            Assert.True(violations.Count == 0, shape + ": " + string.Join("; ", violations));
        }

        private static IReadOnlyList<string> Check(string path, string source)
        {
            var layers = SourceLayers.Compile(new Dictionary<string, string>
            {
                ["Top.cs"] = "namespace InteropGuard { static class Top { public static int One() => 1; } }",
                [path] = source,
                ["Interop/Other.cs"] = "namespace InteropGuard.Interop { class Other { public int Two => 2; } }",
                ["Flow/B.cs"] = "namespace InteropGuard.Flow { class B { public int Size => 1; public static int Count() => 0; } }",
                ["Flow/Slot.cs"] = "namespace InteropGuard.Interop { static class Slot { public static InteropGuard.Flow.B Make() => new InteropGuard.Flow.B(); } }",
                ["Flow/Strings.cs"] = "namespace InteropGuard.Interop { static class Strings { public static int Twice(this string s) => 2 * s.Length; } }",
            });
            Assert.Empty(layers.Errors.Select(e => e.ToString()));
            return layers.Violations(Allowed).Where(v => v.StartsWith(path + ":", StringComparison.Ordinal)).ToList();
        }
    }
}
