using System.Collections.Generic;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Which native call a last-error read is about, and so what IG4001 and IG4002 report at it: the guard nearest the read
    /// that tests a native call (<c>if (!F()) throw new Win32Exception()</c>, <c>int rc = F(); if (rc &lt; 0) …</c>, an
    /// early return on success) picks the calls; without one, the most recent native call on each path does. The paths
    /// come from <see cref="LastErrorFlow"/>; the guards are read from syntax, where only the shape matters.
    /// </summary>
    internal static class LastErrorGuards
    {
        /// <summary>
        /// Which path of the read, if any, each rule reports: IG4001's path whose native call did not save its last error,
        /// IG4002's path where something overwrote it. The guard nearest the read that tests a native call some path passes
        /// decides which calls the read is about; whichever calls the guards pick, the paths come from the read's two lists:
        /// when every call on them saved its last error and nothing ran since, there is nothing to report, and the guards
        /// (syntax walks) need not be read.
        /// </summary>
        /// <param name="atRead">The read and its paths.</param>
        /// <param name="isFrameworkCall">Whether a tested call is the framework's (needs symbols; null in the tree's pre-check).</param>
        /// <param name="readsNothingAfter">Whether the read, a helper, reads nothing on the path of this native call
        /// (<see cref="FlagExclusiveReads"/>): that path is about no call.</param>
        internal static ((LastErrorEvent Call, LastErrorEvent? Overwrite) Missing, (LastErrorEvent Call, LastErrorEvent? Overwrite) Overwritten) Decide(
            LastErrorAtRead atRead, System.Func<SyntaxNode, bool>? isFrameworkCall = null, System.Func<LastErrorEvent, bool>? readsNothingAfter = null)
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

            if (readsNothingAfter != null)
            {
                paths = paths.Where(p => !readsNothingAfter(p.Call)).ToArray();
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
        /// A call of a method the compilation does not declare, other than a delegate's <c>Invoke</c> and a native function
        /// (the compilation's native table, which also knows a referenced assembly's P/Invokes): a helper of your own may make
        /// a native call the read is about, a native delegate is one.
        /// </summary>
        internal static bool IsFrameworkCall(SemanticModel model, NativeFunctionTable natives, SyntaxNode call, System.Threading.CancellationToken cancellationToken)
            => call.SyntaxTree == model.SyntaxTree
               && model.GetSymbolInfo(call, cancellationToken).Symbol is IMethodSymbol method
               && method.DeclaringSyntaxReferences.Length == 0 && method.MethodKind != MethodKind.DelegateInvoke
               && method.ContainingType?.TypeKind != TypeKind.Delegate && natives.Get(method) == null;

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
                            if (block.Statements[i] is IfStatementSyntax { Else: null } earlier && Exits(earlier.Statement)
                                && !UsedAsValidLater(block, i, index, earlier.Condition))
                            {
                                yield return CallsIn(earlier.Condition, int.MaxValue).ToList();
                            }
                        }

                        break;
                }
            }
        }

        /// <summary>
        /// Whether a statement between an early exit (<c>if (size &lt;= 0) return null;</c>) and the read hands a local that
        /// exit's condition tests to a call or constructor (<c>buffer = Alloc(size); Fill(id, buffer, size);</c>): the code
        /// after the exit takes that value as a good result, so the exit is the one taken when its call failed, and a read
        /// after it is not about that call (it succeeded) but about what ran since. An exit on success
        /// (<c>if (ok) return; CloseHandle(h); throw new Win32Exception();</c>) leaves the tested value unused after it.
        /// </summary>
        private static bool UsedAsValidLater(BlockSyntax block, int exit, int read, ExpressionSyntax condition)
        {
            var tested = TestedLocals(condition);
            if (tested.Count == 0)
            {
                return false;
            }

            for (var i = exit + 1; i < read; i++)
            {
                foreach (var argument in block.Statements[i].DescendantNodes().OfType<ArgumentSyntax>())
                {
                    if (argument.Parent?.Parent is InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax
                        && OperationTree.SkipParentheses(argument.Expression) is IdentifierNameSyntax name && tested.Contains(name.Identifier.ValueText))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>The locals a condition tests: the names it reads, not as a member's name and not passed to a call (<c>GetFileSizeEx(file, …)</c>).</summary>
        private static List<string> TestedLocals(ExpressionSyntax condition)
            => condition.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Reverse()
                .Where(name => !(name.Parent is MemberAccessExpressionSyntax access && access.Name == name || name.Parent is InvocationExpressionSyntax
                                 || name.AncestorsAndSelf().TakeWhile(a => a != condition).Any(a => a is ArgumentListSyntax)))
                .Select(name => name.Identifier.ValueText)
                .ToList();

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

            var tested = TestedLocals(condition);
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
