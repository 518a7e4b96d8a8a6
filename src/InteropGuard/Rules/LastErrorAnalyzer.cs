using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using InteropGuard.Flow;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Rules
{
    /// <summary>
    /// The last-error rules over one analysis of each body: IG4001, the read is about a P/Invoke declared without
    /// SetLastError = true; IG4002, something that can overwrite the last error runs between the native call and the read.
    /// The native call a read is about is the one its guarding condition tests (<c>if (!F()) throw new Win32Exception()</c>,
    /// <c>int rc = F(); if (rc &lt; 0) …</c>, an early return on success); without one, the most recent native call on
    /// each path.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class LastErrorAnalyzer : DiagnosticAnalyzer
    {
        /// <summary>Diagnostic property (IG4002): the Marshal method the fix captures the error with.</summary>
        internal const string CaptureProperty = "Capture";

        /// <summary>Diagnostic property (IG4002): "Marshal" for a Marshal.GetLast…() call, "Win32Exception" for new Win32Exception().</summary>
        internal const string ReadKindProperty = "ReadKind";

        internal const string MarshalRead = "Marshal";
        internal const string Win32ExceptionRead = "Win32Exception";
        internal const string HelperRead = "Helper";

        private readonly FlowBudget _budget;

        public LastErrorAnalyzer()
            : this(FlowBudget.Default)
        {
        }

        /// <summary>
        /// For tests: a budget whose <see cref="FlowBudget.ReadTreeReleases"/> false sends every body to the graph (the
        /// reference the tree reading must agree with), and which counts the bodies the tree decided.
        /// </summary>
        internal LastErrorAnalyzer(FlowBudget budget)
        {
            _budget = budget;
        }

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Descriptors.LastErrorWithoutSetLastError,
            Descriptors.LastErrorReadTooLate);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var interop = InteropContext.For(start.Compilation, start.Options);

                // The last error is saved only for P/Invokes declared here, and read only where the code names a read.
                if (!interop.Vocabulary.CompilationUses(InteropWords.NativeDeclaration) || DisabledRuntimeMarshalling.In(start.Compilation))
                {
                    return;
                }

                var calls = new LastErrorCalls(interop);
                if (!calls.CompilationReads)
                {
                    return;
                }

                // Only the types of trees that name a read or a helper that reads: the bodies of the other trees are
                // the per-body gate's "no" (MayRead), now without a callback each.
                WordTreeActions.RegisterOperationBlockAction(start, calls.TreeMayRead, block => AnalyzeBlock(interop, calls, block));
            });
        }

        private void AnalyzeBlock(InteropContext interop, LastErrorCalls calls, OperationBlockAnalysisContext context)
        {
            // Usually one block (a body), a few with parameter defaults: the first root in a local, a list only for more
            // (a list per block: 9% of this analyzer's allocations on the synthetic interop code, 400 files).
            IOperation? first = null;
            List<IOperation>? more = null;
            foreach (var block in context.OperationBlocks)
            {
                // A method's body block hangs under its IMethodBodyOperation: the graph is of that root.
                var root = OperationTree.Root(block);
                if (root == first || (more != null && more.Contains(root)))
                {
                    continue;
                }

                if (first == null)
                {
                    first = root;
                }
                else
                {
                    (more ??= new List<IOperation>()).Add(root);
                }

                // Cheap gates: a body that names no read (nor a helper that reads), or holds no native call, costs no graph.
                if (!ControlFlowGraphs.HasGraph(root) || !calls.MayRead(root.Syntax) || !calls.MayReadAfterNativeCall(root))
                {
                    continue;
                }

                // Most bodies read the last error right after the native call it is about, in structured code: the
                // operation tree shows that no read has anything to report, and the graph is not built.
                if (_budget.ReadTreeReleases && NothingToReport(LastErrorTree.Analyze(root, calls, context.CancellationToken)))
                {
                    _budget.CountGuaranteedSite();
                    continue;
                }

                var graph = context.GetControlFlowGraph(block);
                var reported = new HashSet<(string, int)>();
                foreach (var body in ControlFlowGraphs.AllIn(graph, context.CancellationToken))
                {
                    foreach (var read in LastErrorFlow.Analyze(body, calls, context.CancellationToken))
                    {
                        Report(interop, calls, context, read, reported);
                    }
                }
            }
        }

        private static bool NothingToReport(List<LastErrorAtRead>? reads)
        {
            if (reads == null)
            {
                return false;
            }

            foreach (var read in reads)
            {
                var (missing, overwritten) = LastErrorGuards.Decide(read);
                if (missing.Call != null || overwritten.Call != null)
                {
                    return false;
                }
            }

            return true;
        }

        private static void Report(InteropContext interop, LastErrorCalls calls, OperationBlockAnalysisContext context, LastErrorAtRead atRead, HashSet<(string, int)> reported)
        {
            var read = atRead.Read;
            var readSyntax = read.Operation.Syntax;
            // The framework-call guard reading needs symbols; the operation tree's pre-check runs without it and only
            // sends more bodies to the graph.
            var model = context.OperationBlocks.Length > 0 ? context.OperationBlocks[0].SemanticModel : null;
            var (missing, overwritten) = LastErrorGuards.Decide(
                atRead,
                model == null ? null : call => LastErrorGuards.IsFrameworkCall(model, interop.NativeFunctions, call, context.CancellationToken),
                model == null ? null : call => FlagExclusiveReads.ReadsNothingAfter(calls, model, read.Operation, call.Operation));
            if (missing.Call != null && reported.Add(("IG4001", readSyntax.SpanStart)))
            {
                var additional = new List<Location> { missing.Call.Operation.Syntax.GetLocation() };
                if (DeclarationAttribute(interop, missing.Call.Function!, context.CancellationToken) is { } attribute)
                {
                    additional.Add(attribute);
                }

                context.ReportDiagnostic(Diagnostic.Create(
                    Descriptors.LastErrorWithoutSetLastError,
                    readSyntax.GetLocation(),
                    additional,
                    read.Display,
                    missing.Call.Display));
            }

            if (overwritten.Call != null && reported.Add(("IG4002", readSyntax.SpanStart)))
            {
                var overwrite = overwritten.Overwrite!;
                var why = overwrite.Kind != LastErrorEventKind.NativeCall
                    ? overwrite.Why!
                    : overwrite.Function == null
                        ? "calls native code through a delegate marked SetLastError = true and saves its own last error"
                        : "is a P/Invoke declared with SetLastError = true and saves its own last error";
                context.ReportDiagnostic(Diagnostic.Create(
                    Descriptors.LastErrorReadTooLate,
                    readSyntax.GetLocation(),
                    new[] { overwritten.Call.Operation.Syntax.GetLocation(), overwrite.Operation.Syntax.GetLocation() },
                    FixProperties(interop, read),
                    read.Display,
                    overwritten.Call.Display,
                    overwrite.Display,
                    why));
            }
        }

        private static ImmutableDictionary<string, string?> FixProperties(InteropContext interop, LastErrorEvent read)
        {
            var properties = ImmutableDictionary<string, string?>.Empty;
            switch (read.Operation)
            {
                case IInvocationOperation invocation when SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, interop.Types.Marshal):
                    return properties.Add(ReadKindProperty, MarshalRead).Add(CaptureProperty, invocation.TargetMethod.Name);
                case IObjectCreationOperation creation when creation.Arguments.Length == 0:
                    var capture = interop.Types.Marshal?.GetMembers("GetLastPInvokeError").Any() == true ? "GetLastPInvokeError" : "GetLastWin32Error";
                    return properties.Add(ReadKindProperty, Win32ExceptionRead).Add(CaptureProperty, capture);
                default:
                    return properties.Add(ReadKindProperty, HelperRead);
            }
        }

        /// <summary>The DllImport/LibraryImport attribute of the P/Invoke's declaration in source, where the fix adds SetLastError.</summary>
        private static Location? DeclarationAttribute(InteropContext interop, NativeFunction function, System.Threading.CancellationToken cancellationToken)
        {
            foreach (var attribute in function.Method.GetAttributes())
            {
                var name = attribute.AttributeClass?.Name;
                if ((name == "DllImportAttribute" || SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, interop.Types.LibraryImportAttribute))
                    && attribute.ApplicationSyntaxReference is { } reference)
                {
                    return reference.GetSyntax(cancellationToken).GetLocation();
                }
            }

            return null;
        }
    }
}
