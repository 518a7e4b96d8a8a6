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
    /// The Ownership family over one release-on-all-paths analysis per allocation site:
    /// IG3001 native memory not released, IG3002 wrong deallocator, IG3003 use after release,
    /// IG3004 GCHandle/pin not released, IG3005 SafeHandle not disposed.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class OwnershipAnalyzer : DiagnosticAnalyzer
    {
        /// <summary>
        /// Diagnostic property: the documentation id (<see cref="DocumentationCommentId"/>) of the one-parameter static
        /// release a fix may generate, when there is one. Fixes resolve it and write the call from the symbol.
        /// </summary>
        internal const string ReleaseMethodProperty = "ReleaseMethod";

        /// <summary>Diagnostic property: "true" when releasing in finally is a safe rewrite (no escape, no copies).</summary>
        internal const string FixableProperty = "Fixable";

        /// <summary>Diagnostic property: "true" when a <c>using</c> declaration or statement is a safe rewrite.</summary>
        internal const string UsingFixableProperty = "UsingFixable";

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Descriptors.NativeMemoryLeak,
            Descriptors.WrongDeallocator,
            Descriptors.UseAfterRelease,
            Descriptors.HandleNotReleased,
            Descriptors.SafeHandleNotDisposed);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var interop = InteropContext.For(start.Compilation, start.Options);

                // Every resource the family tracks comes from a well-known API, a native function declared here, a handle
                // type, or an allocator the options name.
                if (!interop.Vocabulary.CompilationUses(InteropWords.Allocation | InteropWords.NativeDeclaration | InteropWords.HandleType)
                    && !interop.HasConfiguredAllocators())
                {
                    return;
                }

                var candidates = new AllocationCandidates(start.Compilation);
                start.RegisterCodeBlockAction(block => AnalyzeBlock(interop, candidates, block));
            });
        }

        private static void AnalyzeBlock(InteropContext interop, AllocationCandidates candidates, CodeBlockAnalysisContext context)
        {
            var scope = interop.ForTree(context.CodeBlock.SyntaxTree);

            // Gates, cheapest first: no candidate in the syntax, then no tracked resource in the operations,
            // and the body costs no operation tree or control-flow graph.
            if (!candidates.MayAllocate(context.CodeBlock, scope)
                || context.SemanticModel.GetOperation(context.CodeBlock, context.CancellationToken) is not { } root
                || !(root is IMethodBodyOperation || root is IConstructorBodyOperation || root is IBlockOperation)
                || !root.Descendants().Any(o => ResourceSites.IsSite(o, scope.Catalogue)))
            {
                return;
            }

            var graph = ControlFlowGraph.Create(context.CodeBlock, context.SemanticModel, context.CancellationToken);
            if (graph == null)
            {
                return;
            }

            var captured = CapturedLocals.In(root);
            var uses = new ValueUses(interop, scope);
            var throwPoints = new ThrowPoints(interop, scope.Catalogue);
            var reportedAfterRelease = new HashSet<int>();
            foreach (var body in ControlFlowGraphs.AllIn(graph, context.CancellationToken))
            {
                foreach (var site in ResourceSites.In(body, scope.Catalogue))
                {
                    context.CancellationToken.ThrowIfCancellationRequested();
                    var result = ReleaseOnAllPaths.Analyze(body, site.Operation, site.Allocator, uses, throwPoints, captured);
                    if (result.Leak != null && !FinalizerCovers(site, result))
                    {
                        context.ReportDiagnostic(OwnershipDiagnostics.Leak(context.SemanticModel.Compilation, site, result));
                    }

                    if (site.Allocator.Kind == ResourceKind.NativeMemory)
                    {
                        foreach (var (releaseSite, release) in result.Mismatches)
                        {
                            context.ReportDiagnostic(OwnershipDiagnostics.WrongDeallocator(context.SemanticModel.Compilation, site, result, releaseSite, release));
                        }
                    }

                    foreach (var afterRelease in result.UsesAfterRelease)
                    {
                        // Two allocation sites can reach one use (if/else allocations); report the use once.
                        if (reportedAfterRelease.Add(afterRelease.Reference.Syntax.SpanStart))
                        {
                            context.ReportDiagnostic(OwnershipDiagnostics.UseAfterRelease(afterRelease));
                        }
                    }
                }
            }
        }

        /// <summary>
        /// A SafeHandle left undisposed only when an exception unwinds is still released by its finalizer, and it is
        /// the finalizer's whole purpose: reporting those paths is CA2000's noise. Normal paths are reported.
        /// </summary>
        private static bool FinalizerCovers(ResourceSite site, ReleaseResult result)
            => site.Allocator.Kind == ResourceKind.SafeHandle
               && (result.Leak!.Kind == LeakKind.MayThrow || result.Leak.Kind == LeakKind.Throw);
    }
}