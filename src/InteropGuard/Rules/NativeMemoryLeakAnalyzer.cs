using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text.RegularExpressions;
using InteropGuard.Flow;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Rules
{
    /// <summary>
    /// IG3001: native memory from the allocation catalogue is not released on every path, exceptional ones
    /// included, and does not escape.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class NativeMemoryLeakAnalyzer : DiagnosticAnalyzer
    {
        /// <summary>Diagnostic property: the local holding the allocation, when there is exactly one.</summary>
        internal const string VariableProperty = "Variable";

        /// <summary>Diagnostic property: fully qualified BCL release the fix may generate, when there is one.</summary>
        internal const string ReleaseMethodProperty = "ReleaseMethod";

        /// <summary>Diagnostic property: the type the local must be cast to when passed to the generated release.</summary>
        internal const string ReleaseArgumentCastProperty = "ReleaseArgumentCast";

        /// <summary>Diagnostic property: "true" when releasing in finally is a safe rewrite (no escape, no copies).</summary>
        internal const string FixableProperty = "Fixable";

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.NativeMemoryLeak);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var interop = InteropContext.Create(start.Compilation, start.Options);
                var candidates = new AllocationCandidates(start.Compilation);
                start.RegisterCodeBlockAction(block => AnalyzeBlock(interop, candidates, block));
            });
        }

        private static void AnalyzeBlock(InteropContext interop, AllocationCandidates candidates, CodeBlockAnalysisContext context)
        {
            var scope = interop.ForTree(context.CodeBlock.SyntaxTree);

            // Gates, cheapest first: no candidate call in the syntax, then no catalogued allocation in the operations,
            // and the body costs no operation tree or control-flow graph.
            if (!candidates.MayAllocate(context.CodeBlock, scope)
                || context.SemanticModel.GetOperation(context.CodeBlock, context.CancellationToken) is not { } root
                || !(root is IMethodBodyOperation || root is IConstructorBodyOperation || root is IBlockOperation)
                || !root.Descendants().OfType<IInvocationOperation>().Any(i => scope.Catalogue.TryGetAllocator(i.TargetMethod, out _)))
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
            foreach (var body in ControlFlowGraphs.AllIn(graph, context.CancellationToken))
            {
                foreach (var allocation in Allocations(body, scope.Catalogue))
                {
                    context.CancellationToken.ThrowIfCancellationRequested();
                    var result = ReleaseOnAllPaths.Analyze(body, allocation.Operation, uses, throwPoints, captured);
                    if (result.Leak != null)
                    {
                        context.ReportDiagnostic(CreateDiagnostic(allocation.Operation, allocation.Allocator, result));
                    }
                }
            }
        }

        private static IEnumerable<(IInvocationOperation Operation, Allocator Allocator)> Allocations(ControlFlowGraph graph, AllocationCatalogue catalogue)
        {
            foreach (var block in graph.Blocks)
            {
                var operations = block.BranchValue == null ? block.Operations : block.Operations.Add(block.BranchValue);
                foreach (var operation in operations)
                {
                    foreach (var invocation in operation.DescendantsAndSelf().OfType<IInvocationOperation>())
                    {
                        if (catalogue.TryGetAllocator(invocation.TargetMethod, out var allocator))
                        {
                            yield return (invocation, allocator);
                        }
                    }
                }
            }
        }

        private static Diagnostic CreateDiagnostic(IInvocationOperation allocation, Allocator allocator, ReleaseResult result)
        {
            var leak = result.Leak!;
            var properties = ImmutableDictionary.CreateBuilder<string, string?>();
            if (result.FirstLocal != null)
            {
                properties[VariableProperty] = result.FirstLocal.Name;
            }

            if (allocator.ReleaseMethod != null && result.FirstLocal != null)
            {
                // NativeMemory's releases take void*, the others IntPtr: a generated call must convert the local.
                var releaseTakesPointer = allocator.ReleaseMethod.StartsWith("System.Runtime.InteropServices.NativeMemory.", System.StringComparison.Ordinal);
                var localIsPointer = result.FirstLocal.Type is IPointerTypeSymbol;
                if (localIsPointer && !releaseTakesPointer)
                {
                    properties[ReleaseMethodProperty] = allocator.ReleaseMethod;
                    properties[ReleaseArgumentCastProperty] = "System.IntPtr";
                }
                else if (localIsPointer == releaseTakesPointer)
                {
                    properties[ReleaseMethodProperty] = allocator.ReleaseMethod;
                }
            }

            var fixable = result.FirstLocal != null && !result.Escapes && !result.HasCopies && leak.Kind != LeakKind.Discarded && leak.Kind != LeakKind.NextIteration && leak.Kind != LeakKind.Overwrite;
            properties[FixableProperty] = fixable ? "true" : "false";

            var holder = leak.Kind == LeakKind.Discarded
                ? DiscardedHolder(allocation)
                : result.FirstLocal != null ? "in '" + result.FirstLocal.Name + "'" : "in a temporary";

            return Diagnostic.Create(
                Descriptors.NativeMemoryLeak,
                allocation.Syntax.GetLocation(),
                result.Releases.Select(r => r.Syntax.GetLocation()),
                properties.ToImmutable(),
                allocator.Display,
                holder,
                allocator.Release,
                DescribePath(leak));
        }

        private static string DiscardedHolder(IOperation allocation)
        {
            for (var current = allocation.Parent; current != null; current = current.Parent)
            {
                if (current is IInvocationOperation call)
                {
                    return "that is only passed to '" + AllocationCatalogue.Display(call.TargetMethod) + "'";
                }

                if (current is IObjectCreationOperation creation && creation.Type != null)
                {
                    return "that is only passed to 'new " + creation.Type.Name + "'";
                }
            }

            return "that is never stored";
        }

        private static string DescribePath(LeakPath leak)
        {
            var line = leak.Site == null ? 0 : leak.Site.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
            switch (leak.Kind)
            {
                case LeakKind.Return:
                    return "on the '" + Shorten(leak.Site!) + "' at line " + line;
                case LeakKind.EarlyReturn:
                    return "on an early return";
                case LeakKind.MethodEnd:
                    return "when the method returns";
                case LeakKind.Overwrite:
                    return "before '" + (leak.Variable ?? "it") + "' is overwritten at line " + line;
                case LeakKind.NextIteration:
                    return "before the next loop iteration allocates again at line " + line;
                case LeakKind.Throw:
                    return "on the 'throw' at line " + line;
                case LeakKind.MayThrow:
                    return "if '" + Shorten(leak.Site!) + "' throws";
                default:
                    return "on any path";
            }
        }

        private static readonly Regex Whitespace = new Regex(@"\s+");

        private static string Shorten(SyntaxNode node)
        {
            var text = Whitespace.Replace(node.ToString(), " ").TrimEnd(';').Trim();
            if (text.Length <= 60)
            {
                return text;
            }

            if (node is InvocationExpressionSyntax invocation)
            {
                return invocation.Expression + "(...)";
            }

            return text.Substring(0, 57) + "...";
        }
    }
}
