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
                if (!interop.Vocabulary.CompilationUses(InteropWords.NativeDeclaration) || BoolMarshallingAnalyzer.MarshallingDisabled(start.Compilation))
                {
                    return;
                }

                var calls = new LastErrorCalls(interop);
                if (!calls.CompilationReads)
                {
                    return;
                }

                start.RegisterOperationBlockAction(block => AnalyzeBlock(interop, calls, block));
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
                        Report(interop, context, read, reported);
                    }
                }
            }
        }

        /// <summary>
        /// Which path of the read, if any, each rule reports: IG4001's path whose native call did not save its last error,
        /// IG4002's path where something overwrote it. The guard nearest the read that tests a native call some path passes
        /// decides which calls the read is about; whichever calls the guards pick, the paths come from the read's two lists:
        /// when every call on them saved its last error and nothing ran since, there is nothing to report, and the guards
        /// (syntax walks) need not be read.
        /// </summary>
        internal static ((LastErrorEvent Call, LastErrorEvent? Overwrite) Missing, (LastErrorEvent Call, LastErrorEvent? Overwrite) Overwritten) Decide(LastErrorAtRead atRead, System.Func<SyntaxNode, bool>? isFrameworkCall = null)
        {
            if (AllSavedAndUntouched(atRead))
            {
                return default;
            }

            var readSyntax = atRead.Read.Operation.Syntax;
            var paths = atRead.MostRecent.ToArray();
            if (ConsumedCalls(atRead) is { } consumed)
            {
                paths = consumed;
            }
            else if (isFrameworkCall != null && TestsOnlyFrameworkCalls(readSyntax, atRead, isFrameworkCall))
            {
                return default;
            }
            else if (FilteredGuards(readSyntax, atRead).FirstOrDefault() is { } nearest)
            {
                paths = LastRunGuardCalls(nearest, atRead).Select(c => atRead.SinceCall[c]).ToArray();
            }

            var missing = paths.FirstOrDefault(p => !p.Call.SetsLastError);

            // A native call that another condition around the read tests may be what the read is about (the read may
            // sit in the branch where the nearer guard's call succeeded): not an overwrite to report. Every guard is read
            // only when a native call overwrites on one of the paths.
            HashSet<SyntaxNode>? tested = null;
            var overwritten = paths.FirstOrDefault(p => p.Call.SetsLastError && p.Overwrite != null
                                                        && !(p.Overwrite.Kind == LastErrorEventKind.NativeCall
                                                             && (tested ??= new HashSet<SyntaxNode>(FilteredGuards(readSyntax, atRead).SelectMany(g => g))).Contains(p.Overwrite.Operation.Syntax)));
            return (missing, overwritten);
        }

        /// <summary>
        /// The most recent native calls whose result the read itself is handed — <c>new LineHandle(get_line(chip, n))</c>, or a
        /// local declared with that call and passed on — when the read is a call of your code that checks the result and then
        /// reads the last error. Such a read is about that call, whatever guard around it tested an earlier one.
        /// </summary>
        private static (LastErrorEvent Call, LastErrorEvent? Overwrite)[]? ConsumedCalls(LastErrorAtRead atRead)
        {
            var arguments = atRead.Read.Operation switch
            {
                IInvocationOperation call => call.Arguments,
                IObjectCreationOperation creation => creation.Arguments,
                _ => default,
            };
            if (arguments.IsDefaultOrEmpty)
            {
                return null;
            }

            var given = new HashSet<SyntaxNode>();
            var stable = new StableValues();
            foreach (var argument in arguments)
            {
                var value = OperationTree.SkipConversions(argument.Value);
                given.Add(value.Syntax);
                // By syntax: a graph's operations carry no semantic model, and the tree and the graph must agree.
                if (value is ILocalReferenceOperation local && stable.InitializerSyntaxOf(local.Local) is { } initializer)
                {
                    given.Add(OperationTree.SkipParentheses(initializer));
                }
            }

            var consumed = atRead.MostRecent.Where(p => given.Contains(p.Call.Operation.Syntax)).ToArray();
            return consumed.Length == 0 ? null : consumed;
        }

        /// <summary>
        /// Whether the nearest guard that names calls names only calls of framework methods, none of them given a value a native
        /// call some path passes returned: <c>EmptyClipboard(); … hGlobal = Marshal.AllocHGlobal(n); if (hGlobal == default)
        /// ThrowWin32();</c> reads after the allocation's failure, not after the P/Invoke's. Such a read is about no native
        /// call. A managed check given a native result (<c>if (IsInvalid(handle))</c> after <c>handle = Open(…)</c>) is
        /// not this: the guard tests the native call through it.
        /// </summary>
        private static bool TestsOnlyFrameworkCalls(SyntaxNode readSyntax, LastErrorAtRead atRead, System.Func<SyntaxNode, bool> isFrameworkCall)
        {
            var nearest = GuardingCalls(readSyntax).FirstOrDefault(g => g.Count > 0);
            if (nearest == null || nearest.Any(atRead.SinceCall.ContainsKey) || !nearest.All(isFrameworkCall))
            {
                return false;
            }

            var body = readSyntax.Ancestors().FirstOrDefault(a => a is AnonymousFunctionExpressionSyntax || a is LocalFunctionStatementSyntax || a is BaseMethodDeclarationSyntax
                                                                   || a is AccessorDeclarationSyntax || a is CompilationUnitSyntax);
            foreach (var call in nearest.OfType<InvocationExpressionSyntax>())
            {
                var given = call.ArgumentList.Arguments.SelectMany(a => a.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
                    .Select(n => n.Identifier.ValueText).Distinct().ToList();
                if (given.Count == 0)
                {
                    continue;
                }

                if (body == null)
                {
                    return false;
                }

                foreach (var value in LastAssignedBefore(body, call.SpanStart, given).Values)
                {
                    if (value.DescendantNodesAndSelf().Any(atRead.SinceCall.ContainsKey))
                    {
                        return false;
                    }
                }
            }

            return true;
        }

        /// <summary>
        /// A call of a method the compilation does not declare, other than a delegate's <c>Invoke</c> and a P/Invoke: a
        /// helper of your own may make a native call the read is about, a native delegate is one.
        /// </summary>
        private static bool IsFrameworkCall(SemanticModel model, SyntaxNode call, System.Threading.CancellationToken cancellationToken)
            => call.SyntaxTree == model.SyntaxTree
               && model.GetSymbolInfo(call, cancellationToken).Symbol is IMethodSymbol method
               && method.DeclaringSyntaxReferences.Length == 0 && method.MethodKind != MethodKind.DelegateInvoke
               && (method.GetDllImportData() == null) && method.ContainingType?.TypeKind != TypeKind.Delegate;

        /// <summary>
        /// Of a guard's calls, the ones the read can be about. <c>if (cp == Utf8 || SetConsoleCP(Utf8)) return;</c> after
        /// <c>cp = GetConsoleCP()</c> names both calls, but a read after it runs only when <c>SetConsoleCP</c> ran and
        /// failed: a call of the guard that is the most recent native call on no path to the read, when another call of
        /// the same guard is on some, ran before that one on every path and is not what the read is about.
        /// </summary>
        private static List<SyntaxNode> LastRunGuardCalls(List<SyntaxNode> guard, LastErrorAtRead atRead)
        {
            var recent = new HashSet<SyntaxNode>(atRead.MostRecent.Select(p => p.Call.Operation.Syntax));
            var last = guard.Where(recent.Contains).ToList();
            return last.Count == 0 ? guard : last;
        }

        private static bool NothingToReport(List<LastErrorAtRead>? reads)
        {
            if (reads == null)
            {
                return false;
            }

            foreach (var read in reads)
            {
                var (missing, overwritten) = Decide(read);
                if (missing.Call != null || overwritten.Call != null)
                {
                    return false;
                }
            }

            return true;
        }

        private static void Report(InteropContext interop, OperationBlockAnalysisContext context, LastErrorAtRead atRead, HashSet<(string, int)> reported)
        {
            var read = atRead.Read;
            var readSyntax = read.Operation.Syntax;
            // The framework-call guard reading needs symbols; the operation tree's pre-check runs without it and only
            // sends more bodies to the graph.
            var model = context.OperationBlocks.Length > 0 ? context.OperationBlocks[0].SemanticModel : null;
            var (missing, overwritten) = Decide(atRead, model == null ? null : call => IsFrameworkCall(model, call, context.CancellationToken));
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

        /// <summary>
        /// The guarding calls of the read (<see cref="GuardingCalls"/>) that some path to it passes, nearest guard first; guards
        /// with none are left out. A native call made for an argument of another native call of the same guard is left out
        /// too: it returns before the outer call runs, and what the guard tests is the outer call's result
        /// (<c>SetWindowsHookEx(id, proc, IntPtr.Zero, GetCurrentThreadId())</c>).
        /// </summary>
        private static IEnumerable<List<SyntaxNode>> FilteredGuards(SyntaxNode readSyntax, LastErrorAtRead atRead)
            => GuardingCalls(readSyntax)
                .Select(g => g.Where(c => atRead.SinceCall.ContainsKey(c)).ToList())
                .Select(g => g.Where(c => !g.Any(outer => outer != c && outer.Span.Contains(c.Span))).ToList())
                .Where(g => g.Count > 0);

        private static bool AllSavedAndUntouched(LastErrorAtRead atRead)
        {
            foreach (var path in atRead.MostRecent)
            {
                if (!path.Call.SetsLastError || path.Overwrite != null)
                {
                    return false;
                }
            }

            return atRead.SinceCallsSavedAndUntouched();
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

        /// <summary>
        /// The invocations whose result decides that the read runs, nearest guard first: the condition of the if,
        /// conditional, while or short-circuit operand the read is under (or earlier in, when the read is in the
        /// condition), the conditions of earlier <c>if (…) return/throw/…;</c> statements in the enclosing blocks, and
        /// for locals tested there, the value last assigned to them before the test.
        /// </summary>
        internal static IEnumerable<List<SyntaxNode>> GuardingCalls(SyntaxNode read)
        {
            var child = read;
            for (var parent = read.Parent; parent != null; child = parent, parent = parent.Parent)
            {
                switch (parent)
                {
                    case AnonymousFunctionExpressionSyntax:
                    case LocalFunctionStatementSyntax:
                    case MemberDeclarationSyntax:
                        yield break;
                    case IfStatementSyntax ifStatement when child == ifStatement.Statement || child == ifStatement.Else:
                        yield return CallsIn(ifStatement.Condition, int.MaxValue).ToList();

                        break;
                    case IfStatementSyntax ifStatement when child == ifStatement.Condition:
                        yield return CallsIn(ifStatement.Condition, read.SpanStart).ToList();

                        break;
                    case WhileStatementSyntax whileStatement when child == whileStatement.Statement:
                        yield return CallsIn(whileStatement.Condition, int.MaxValue).ToList();

                        break;
                    case ConditionalExpressionSyntax conditional when child == conditional.WhenTrue || child == conditional.WhenFalse:
                        yield return CallsIn(conditional.Condition, int.MaxValue).ToList();

                        break;
                    case BinaryExpressionSyntax binary when child == binary.Right && (binary.IsKind(SyntaxKind.LogicalAndExpression) || binary.IsKind(SyntaxKind.LogicalOrExpression)):
                        yield return CallsIn(binary.Left, int.MaxValue).ToList();

                        break;
                    case BlockSyntax block when child is StatementSyntax statement:
                        var index = block.Statements.IndexOf(statement);
                        for (var i = index - 1; i >= 0; i--)
                        {
                            if (block.Statements[i] is IfStatementSyntax { Else: null } earlier && Exits(earlier.Statement))
                            {
                                yield return CallsIn(earlier.Condition, int.MaxValue).ToList();
                            }
                        }

                        break;
                }
            }
        }

        /// <summary>Invocations in a condition (the last one first), and the values last assigned to the locals it tests (not those it passes to a call).</summary>
        private static IEnumerable<SyntaxNode> CallsIn(ExpressionSyntax condition, int before)
        {
            foreach (var call in condition.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>().Where(c => c.Span.End <= before).Reverse())
            {
                yield return call;
            }

            var body = condition.Ancestors().FirstOrDefault(a => a is AnonymousFunctionExpressionSyntax || a is LocalFunctionStatementSyntax || a is BaseMethodDeclarationSyntax
                                                                  || a is AccessorDeclarationSyntax || a is CompilationUnitSyntax);
            if (body == null)
            {
                yield break;
            }

            // A local passed to a call in the condition is not what the condition tests (GetFileSizeEx(file, …)).
            var tested = condition.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Reverse()
                .Where(name => !(name.Parent is MemberAccessExpressionSyntax access && access.Name == name || name.Parent is InvocationExpressionSyntax
                                 || name.AncestorsAndSelf().TakeWhile(a => a != condition).Any(a => a is ArgumentListSyntax)))
                .Select(name => name.Identifier.ValueText)
                .ToList();
            if (tested.Count == 0)
            {
                yield break;
            }

            var assigned = LastAssignedBefore(body, condition.SpanStart, tested);
            foreach (var text in tested)
            {
                if (assigned.TryGetValue(text, out var value))
                {
                    foreach (var call in value.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>().Reverse())
                    {
                        yield return call;
                    }
                }
            }
        }

        /// <summary>
        /// For each of <paramref name="names"/>, the value last given to it (an initializer or the right side of a simple
        /// assignment, in text order) in <paramref name="body"/> before <paramref name="before"/>. One walk for all the
        /// names a condition tests: a walk per name read the body's text before the condition again for each.
        /// </summary>
        private static Dictionary<string, ExpressionSyntax> LastAssignedBefore(SyntaxNode body, int before, List<string> names)
        {
            var wanted = new HashSet<string>(names, System.StringComparer.Ordinal);
            var found = new Dictionary<string, (ExpressionSyntax Value, int At)>(System.StringComparer.Ordinal);
            foreach (var node in body.DescendantNodes())
            {
                if (node.SpanStart >= before)
                {
                    break;
                }

                var (text, value) = node switch
                {
                    VariableDeclaratorSyntax { Initializer: { } initializer } declarator => (declarator.Identifier.ValueText, initializer.Value),
                    AssignmentExpressionSyntax { Left: IdentifierNameSyntax target } assignment => (target.Identifier.ValueText, assignment.Right),
                    _ => (null, null),
                };

                // The same test per name as before: a later start replaces an earlier one.
                if (text != null && wanted.Contains(text) && (!found.TryGetValue(text, out var last) || node.SpanStart > last.At))
                {
                    found[text] = (value!, node.SpanStart);
                }
            }

            var values = new Dictionary<string, ExpressionSyntax>(found.Count, System.StringComparer.Ordinal);
            foreach (var entry in found)
            {
                values[entry.Key] = entry.Value.Value;
            }

            return values;
        }

        private static bool Exits(StatementSyntax statement)
        {
            var last = statement is BlockSyntax block ? block.Statements.LastOrDefault() : statement;
            return last is ReturnStatementSyntax || last is ThrowStatementSyntax || last is BreakStatementSyntax || last is ContinueStatementSyntax || last is GotoStatementSyntax
                   || last is ExpressionStatementSyntax { Expression: ThrowExpressionSyntax };
        }
    }
}
