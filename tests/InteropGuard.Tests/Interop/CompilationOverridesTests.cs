using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using InteropGuard.Interop;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Interop
{
    /// <summary>
    /// <see cref="CompilationOverrides"/> reads the members of the classes whose declarations spell an override, not of
    /// every type. Its table must hold what the symbols say: every override any class of the compilation declares —
    /// also the ones no <c>override</c> keyword spells (a record's compiler-made members override <c>object</c>'s) —
    /// once each, under every method it overrides.
    /// </summary>
    public class CompilationOverridesTests
    {
        private const string Base = "public class Base { public virtual void Run() { } protected virtual void Dispose(bool disposing) { } public virtual int Size => 0; public virtual event System.EventHandler Changed; }";

        [Theory]
        // A method, through a chain of two overrides, and a sealed override.
        [InlineData("public class A : Base { public override void Run() { } } public class B : A { public sealed override void Run() { } }")]
        // A record's Equals, GetHashCode, ToString and the rest, made by the compiler; and a derived record.
        [InlineData("public record Point(int X, int Y); public record Point3(int X, int Y, int Z) : Point(X, Y);")]
        // A property's and an event's accessors.
        [InlineData("public class A : Base { public override int Size => 1; }")]
        [InlineData("public class A : Base { public override event System.EventHandler Changed { add { } remove { } } }")]
        // One class in two partial declarations, each with an override: listed once.
        [InlineData("public partial class A : Base { public override void Run() { } } public partial class A { protected override void Dispose(bool disposing) { } }")]
        // Classes nested in a struct, an interface and a namespace; a struct's own override is not a class's.
        [InlineData("namespace N { public struct S { public class Inner : Base { public override void Run() { } } public override string ToString() => \"\"; } public interface I { class Nested : Base { public override void Run() { } } } }")]
        // A class without any, and a destructor (no override by its symbol): nothing.
        [InlineData("public class Plain { public void Run() { } }")]
        [InlineData("public class Plain { ~Plain() { } }")]
        public void HoldsWhatTheSymbolsSay(string source)
        {
            var compilation = Compile(Base + "\n" + source, SourceCodeKind.Regular);
            Assert.Equal(!source.Contains("Plain"), FromSymbols(compilation).Count > 0);
            AssertHoldsWhatTheSymbolsSay(compilation);
        }

        [Fact]
        public void AScriptIsReadFromItsSymbols()
        {
            // A script's top-level members belong to a class no declaration spells: its table is read from symbols.
            var compilation = Compile("public override string ToString() => \"script\"; class Inner { ~Inner() { } public override int GetHashCode() => 1; }", SourceCodeKind.Script);
            Assert.NotEmpty(FromSymbols(compilation));
            AssertHoldsWhatTheSymbolsSay(compilation);
        }

        private static void AssertHoldsWhatTheSymbolsSay(CSharpCompilation compilation)
        {
            var overrides = CompilationOverrides.Of(InteropContext.Create(compilation, new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty)));
            foreach (var (overridden, expected) in FromSymbols(compilation))
            {
                var found = overrides.Overriding(overridden);
                Assert.Equal(expected.Count, found.Count);
                Assert.True(expected.SetEquals(found), overridden.ToDisplayString());
            }
        }

        private static CSharpCompilation Compile(string source, SourceCodeKind kind)
            => kind == SourceCodeKind.Script
                ? CSharpCompilation.CreateScriptCompilation(
                    "Script",
                    CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script)),
                    ReferenceAssemblies.Framework)
                : CSharpCompilation.Create(
                    "Overrides",
                    new[] { CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest)) },
                    ReferenceAssemblies.Framework,
                    new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));

        /// <summary>Every class of the assembly, nested ones too, and their overrides, filed under each method overridden.</summary>
        private static Dictionary<IMethodSymbol, HashSet<IMethodSymbol>> FromSymbols(Compilation compilation)
        {
            var map = new Dictionary<IMethodSymbol, HashSet<IMethodSymbol>>(SymbolEqualityComparer.Default);
            var pending = new Stack<INamespaceOrTypeSymbol>();
            pending.Push(compilation.Assembly.GlobalNamespace);
            while (pending.Count > 0)
            {
                var current = pending.Pop();
                foreach (var member in current.GetMembers())
                {
                    if (member is INamespaceOrTypeSymbol container)
                    {
                        pending.Push(container);
                    }
                    else if (current is INamedTypeSymbol { TypeKind: TypeKind.Class } && member is IMethodSymbol { IsOverride: true } method)
                    {
                        for (var overridden = method.OverriddenMethod; overridden != null; overridden = overridden.OverriddenMethod)
                        {
                            if (!map.TryGetValue(overridden.OriginalDefinition, out var set))
                            {
                                map[overridden.OriginalDefinition] = set = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
                            }

                            set.Add(method);
                        }
                    }
                }
            }

            return map;
        }
    }
}
