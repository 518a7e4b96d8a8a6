using System.Collections.Immutable;
using System.Linq;
using InteropGuard.Interop;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Interop
{
    /// <summary>A compilation of one source plus the <see cref="InteropContext"/> the rules would build for it.</summary>
    internal sealed class InteropTestCompilation
    {
        public InteropTestCompilation(string source)
        {
            Compilation = CSharpCompilation.Create(
                "InteropTest",
                new[] { CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest)) },
                ReferenceAssemblies.Framework,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
            Context = InteropContext.Create(Compilation, new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty));
        }

        public CSharpCompilation Compilation { get; }

        public InteropContext Context { get; }

        public InteropScope Scope => Context.ForTree(Compilation.SyntaxTrees.Single());

        public IMethodSymbol Method(string typeName, string methodName)
            => Compilation.GetTypeByMetadataName(typeName)!.GetMembers(methodName).OfType<IMethodSymbol>().Single();
    }
}
