using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using InteropGuard.Flow;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Rules
{
    /// <summary>
    /// IG2001: a pointer valid only inside a pinning scope (a fixed statement, a pinned GCHandle before Free, a
    /// MemoryHandle before Dispose, stackalloc memory before the function returns) escapes it. A fixed pointer given to
    /// a retaining native function is IG2003's, not reported here.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class EscapingPinnedPointerAnalyzer : DiagnosticAnalyzer
    {
        /// <summary>
        /// Diagnostic property: "true" when every escape of the fixed statement is a later read through a local, so that
        /// extending the statement is the fix. The first additional location is the fixed statement; the others are
        /// every such read.
        /// </summary>
        internal const string ExtendFixedProperty = "ExtendFixed";

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.EscapingPinnedPointer);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var interop = InteropContext.For(start.Compilation, start.Options);

                // Every pinning scope is named: fixed, GCHandle, Pin, overlapped pin data, or stackalloc in unsafe code.
                var vocabulary = interop.Vocabulary;
                if (!vocabulary.CompilationUses(InteropWords.Pinning)
                    && !(vocabulary.CompilationUses(InteropWords.StackMemory) && vocabulary.CompilationUses(InteropWords.UnsafeCode)))
                {
                    return;
                }

                var origins = new ManagedMemoryOrigins(interop.Types);
                var gateText = new TreeTextPositions(PinningScopes.GateText);
                var gateWords = new PinningScopeWords(interop.Vocabulary);
                WordTreeActions.RegisterCodeBlockAction(start, vocabulary, MayPin, block => AnalyzeBlock(interop, origins, gateText, gateWords, block));
            });
        }

        private static void AnalyzeBlock(InteropContext interop, ManagedMemoryOrigins origins, TreeTextPositions gateText, PinningScopeWords gateWords, CodeBlockAnalysisContext context)
        {
            var tree = context.CodeBlock.SyntaxTree;
            if (!MayPin(interop.Vocabulary.Of(tree))
                || !gateWords.MayContain(context.CodeBlock, gateText)
                || context.SemanticModel.GetOperation(context.CodeBlock, context.CancellationToken) is not { } root
                || !(root is IMethodBodyOperation || root is IConstructorBodyOperation || root is IBlockOperation))
            {
                return;
            }

            var scopes = PinningScopes.In(root, interop.Types, origins);
            if (scopes.IsEmpty)
            {
                return;
            }

            var name = context.OwningSymbol.Name.StartsWith("<", System.StringComparison.Ordinal) ? "the top-level statements" : "'" + context.OwningSymbol.Name + "'";
            var escapes = new PinnedPointerEscapes(
                interop,
                interop.ForTree(context.CodeBlock.SyntaxTree),
                context.SemanticModel,
                root,
                () => ControlFlowGraph.Create(context.CodeBlock, context.SemanticModel, context.CancellationToken),
                name,
                context.CancellationToken);

            var reported = new HashSet<int>();
            foreach (var scope in scopes)
            {
                // A handle whose type we cannot read may not pin at all: nothing to escape from.
                if (!scope.EndsInFunction || !scope.IsCertain)
                {
                    continue;
                }

                var found = escapes.Find(scope);
                if (found.Count == 0)
                {
                    continue;
                }

                var extendable = scope.Kind == PinningScopeKind.Fixed && found.All(e => e.Kind == PinnedEscapeKind.ReadAfter && e.ThroughLocal != null);
                var properties = extendable
                    ? ImmutableDictionary<string, string?>.Empty.Add(ExtendFixedProperty, "true")
                    : ImmutableDictionary<string, string?>.Empty;
                var additional = extendable
                    ? new[] { scope.Start.GetLocation() }.Concat(found.SelectMany(e => e.AllReads).Select(r => r.GetLocation())).ToList()
                    : new List<Location> { scope.Start.GetLocation() };

                foreach (var escape in found.OrderBy(e => e.Location.SpanStart))
                {
                    if (!reported.Add(escape.Location.SpanStart))
                    {
                        continue;
                    }

                    context.ReportDiagnostic(Diagnostic.Create(
                        Descriptors.EscapingPinnedPointer,
                        escape.Location.GetLocation(),
                        additional,
                        properties,
                        escape.Pointer,
                        Origin(scope, name),
                        escape.Description,
                        Consequence(scope, name)));
                }
            }
        }

        // A stackalloc scope is one whose memory a pointer holds (PinningScopes.In): a pointer-typed stackalloc, or a fixed
        // statement over a stack span. Both need an unsafe context, which the unsafe modifier or block opens in the tree's own
        // text (on a partial type, only in the part that says it); a stackalloc into a span in safe code cannot escape.
        private static bool MayPin(InteropWords words)
            => (words & InteropWords.Pinning) != 0 || (words & (InteropWords.StackMemory | InteropWords.UnsafeCode)) == (InteropWords.StackMemory | InteropWords.UnsafeCode);

        private static string Origin(PinningScope scope, string name) => scope.Kind switch
        {
            PinningScopeKind.Fixed => "into '" + scope.Pinned + "' pinned by the fixed statement",
            PinningScopeKind.PinnedGCHandle => "into '" + scope.Pinned + "' pinned by GCHandle '" + scope.Handle!.Name + "'",
            PinningScopeKind.MemoryHandle => "into '" + scope.Pinned + "' pinned by MemoryHandle '" + scope.Handle!.Name + "'",
            _ => "to stackalloc memory of " + FunctionName(scope, name),
        };

        private static string Consequence(PinningScope scope, string name) => scope.Kind == PinningScopeKind.StackAlloc
            ? "the stack memory is reused once " + FunctionName(scope, name) + " returns"
            : "the GC may move '" + scope.Pinned + "' once it is unpinned";

        private static string FunctionName(PinningScope scope, string name) => scope.Function switch
        {
            ILocalFunctionOperation local => "'" + local.Symbol.Name + "'",
            IAnonymousFunctionOperation _ => "the lambda",
            _ => name,
        };
    }
}
