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

        private readonly FlowBudget _budget;

        public OwnershipAnalyzer()
            : this(FlowBudget.Default)
        {
        }

        /// <summary>For tests: a smaller budget for the path solves, or one that counts their work.</summary>
        internal OwnershipAnalyzer(FlowBudget budget)
        {
            _budget = budget;
        }

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
                const InteropWords resourceWords = InteropWords.Allocation | InteropWords.NativeDeclaration | InteropWords.HandleType;
                var anywhere = interop.Vocabulary.CompilationUses(InteropWords.NativeDeclaration) || interop.HasConfiguredAllocators();
                if (!anywhere && !interop.Vocabulary.CompilationUses(resourceWords))
                {
                    return;
                }

                // Without native functions or configured allocators of the project's own, an allocation names a
                // well-known API or a handle type in its own tree; otherwise a wrapper declared elsewhere may allocate.
                // A handle type that disowns what its ReleaseHandle would release (IG3005).
                if (interop.Types.SafeHandle != null && interop.Vocabulary.CompilationUses(InteropWords.HandleType))
                {
                    start.RegisterSymbolAction(
                        symbol =>
                        {
                            // The generated-code test reads each file's leading comments: asked only of the rare type with a finding.
                            var type = (INamedTypeSymbol)symbol.Symbol;
                            var disowning = interop.HandleReleases.DisowningArguments(type);
                            if (disowning.IsEmpty || OwnershipDiagnostics.IsGenerated(type, symbol.CancellationToken))
                            {
                                return;
                            }

                            foreach (var argument in disowning)
                            {
                                symbol.ReportDiagnostic(OwnershipDiagnostics.NeverReleased(type, argument));
                            }
                        },
                        SymbolKind.NamedType);
                }

                // A GCHandle field its class allocates and never frees (IG3004), read once per class.
                if (GCHandleFields.For(start.Compilation, interop.Types) is { } handleFields)
                {
                    start.RegisterSymbolAction(symbol => OwnershipDiagnostics.ReportNeverFreedFields(symbol, handleFields, interop.Types), SymbolKind.NamedType);
                }

                var candidates = new AllocationCandidates(start.Compilation, interop.Vocabulary);
                var names = new AllocationNamePositions(candidates, interop.Vocabulary);
                start.RegisterOperationBlockAction(block =>
                {
                    if (anywhere || interop.Vocabulary.TreeUses(block.OperationBlocks[0].Syntax.SyntaxTree, resourceWords))
                    {
                        AnalyzeBlock(interop, candidates, names, block);
                    }
                });
            });
        }

        private void AnalyzeBlock(InteropContext interop, AllocationCandidates candidates, AllocationNamePositions names, OperationBlockAnalysisContext context)
        {
            // The driver hands over the body block; its root (the method or constructor body) is what the graph covers.
            if (BodyBlock(context.OperationBlocks) is not { } bodyBlock)
            {
                return;
            }

            // Gates, cheapest first: no candidate word in the text, no candidate in the syntax, then no tracked resource
            // in the operations; a body that passes neither costs no control-flow graph. The text gate asks for the tree's
            // scope only the first time it reads the tree: most bodies of a binding stop there, before the scope's lookup.
            var root = OperationTree.Root(bodyBlock);
            var tree = root.Syntax.SyntaxTree;
            if (!(root is IMethodBodyOperation || root is IConstructorBodyOperation || root is IBlockOperation)
                || !ControlFlowGraphs.HasGraph(root)
                || !names.MayName(root.Syntax, interop))
            {
                return;
            }

            var scope = interop.ForTree(tree);
            if (!candidates.MayAllocate(root.Syntax, scope, names.In(tree, scope)))
            {
                return;
            }

            // Then the sites the operation tree alone shows to be released on every path (allocate; try { } finally
            // { release }): when every site is one, the body costs no graph; otherwise those sites are not solved.
            var uses = ValueUses.ForOwnership(interop, scope);
            HashSet<SyntaxNode>? guaranteed = null;
            var unguaranteed = false;
            foreach (var treeSite in ResourceSites.AllIn(root, scope.Catalogue))
            {
                if (_budget.ReadTreeReleases && GuaranteedReleases.NeedsNoSolve(treeSite, root, uses, scope.Catalogue, interop.Types.DisposeMethod))
                {
                    _budget.CountGuaranteedSite();
                    (guaranteed ??= new HashSet<SyntaxNode>()).Add(treeSite.Operation.Syntax);
                }
                else
                {
                    unguaranteed = true;
                }
            }

            if (!unguaranteed)
            {
                return;
            }

            // The driver's graph, shared with the other analyzers that ask for this body's (IG1001).
            var graph = context.GetControlFlowGraph(bodyBlock);

            var captured = CapturedLocals.In(root);
            var throwPoints = new ThrowPoints(interop, scope.Catalogue);
            var reportedAfterRelease = new HashSet<int>();
            foreach (var body in ControlFlowGraphs.AllIn(graph, context.CancellationToken))
            {
                // Walked once per graph (when it has a site) and shared by the solves of all its sites.
                GraphFacts? facts = null;
                foreach (var site in ResourceSites.In(body, scope.Catalogue))
                {
                    context.CancellationToken.ThrowIfCancellationRequested();
                    if (guaranteed != null && guaranteed.Contains(site.Operation.Syntax))
                    {
                        continue;
                    }

                    facts ??= new GraphFacts(body);
                    var result = ReleaseOnAllPaths.Analyze(facts, site.Operation, site.Allocator, uses, throwPoints, captured, _budget);
                    if (result.HasGivenUp)
                    {
                        // A partial result: no finding of any kind for this site.
                        continue;
                    }

                    if (result.Leak != null && !FinalizerCovers(site, result))
                    {
                        context.ReportDiagnostic(OwnershipDiagnostics.Leak(context.Compilation, site, result, interop.Types));
                    }

                    if (site.Allocator.Kind == ResourceKind.NativeMemory)
                    {
                        foreach (var (releaseSite, release) in result.Mismatches)
                        {
                            context.ReportDiagnostic(OwnershipDiagnostics.WrongDeallocator(context.Compilation, site, result, releaseSite, release));
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

        /// <summary>The first block that is a body (a loop: asked for every body of the compilation, where a query boxed the array).</summary>
        private static IOperation? BodyBlock(ImmutableArray<IOperation> blocks)
        {
            foreach (var block in blocks)
            {
                if (block is IMethodBodyOperation || block is IConstructorBodyOperation || block is IBlockOperation)
                {
                    return block;
                }
            }

            return null;
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