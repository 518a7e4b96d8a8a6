using System.Collections.Generic;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A helper that reads the last error only under one fixed condition — <c>if (IsWindows) return new
    /// Win32Exception(Marshal.GetLastWin32Error()); else return new Exception(dlerror())</c>, the condition a static
    /// readonly bool field (set once, in type initialization: <c>static readonly bool IsWindows =
    /// RuntimeInformation.IsOSPlatform(OSPlatform.Windows)</c>), <c>OperatingSystem.IsWindows()</c> or
    /// <c>RuntimeInformation.IsOSPlatform(OSPlatform.Windows)</c> — reads nothing after a native call its caller made
    /// where the same condition is false (the else of <c>if (IsWindows)</c>, or under <c>if (!IsWindows)</c>): the
    /// condition cannot change between the two, so that call's last error is never read there.
    /// </summary>
    internal static class FlagExclusiveReads
    {
        /// <summary>
        /// Does <paramref name="read"/>, a call of a source helper, read nothing on the path of <paramref name="call"/>:
        /// every read in the helper's body under one condition's true side, and the call on that condition's false side?
        /// <paramref name="model"/> is the caller's (a flow graph's operations carry none).
        /// </summary>
        internal static bool ReadsNothingAfter(LastErrorCalls calls, SemanticModel model, IOperation read, IOperation call)
        {
            if (read is not IInvocationOperation helper || calls.Body(helper.TargetMethod) is not { } body)
            {
                return false;
            }

            string? condition = null;
            foreach (var operation in body.Descendants())
            {
                if (calls.Classify(operation)?.Kind != LastErrorEventKind.Read)
                {
                    continue;
                }

                // The condition whose true side the read lies on: the nearest if or ?: around it.
                var guard = OperationTree.NearestBranch(operation, body) is { } branch
                    ? Key(calls.Interop.Types, branch.Branch.Condition, negated: !branch.WhenTrue)
                    : null;
                if (guard == null || (condition != null && guard != condition))
                {
                    return false;
                }

                condition = guard;
            }

            if (condition == null)
            {
                return false;
            }

            // The call comes from the caller's flow graph, whose operations have no parents in its tree: its ifs are read
            // from syntax.
            for (var node = call.Syntax; node != null && node is not MemberDeclarationSyntax; node = node.Parent)
            {
                if (node.Parent is IfStatementSyntax { } test && model.GetOperation(test.Condition) is { } tested
                    && ((node == test.Else && Key(calls.Interop.Types, tested, negated: false) == condition)
                        || (node == test.Statement && Key(calls.Interop.Types, tested, negated: true) == condition)))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// A name for the fixed condition <paramref name="condition"/> tests (with its negation when <paramref name="negated"/>
        /// holds and the condition is <c>!x</c>), or null when it tests anything else.
        /// </summary>
        private static string? Key(WellKnownTypes types, IOperation condition, bool negated)
        {
            if (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not, OperatorMethod: null } not)
            {
                return negated ? Key(types, not.Operand, negated: false) : null;
            }

            if (negated)
            {
                return null;
            }

            switch (condition)
            {
                case IFieldReferenceOperation { Field: { IsStatic: true, IsReadOnly: true, Type.SpecialType: SpecialType.System_Boolean } field }:
                    return field.ToDisplayString();
                case IInvocationOperation { TargetMethod: { } method } when method.Parameters.IsEmpty && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.OperatingSystem):
                    return "OperatingSystem." + method.Name;
                case IInvocationOperation { TargetMethod: { Name: "IsOSPlatform" } method } invocation
                    when invocation.Arguments.Length == 1 && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.RuntimeInformation)
                         && OperationTree.SkipConversions(invocation.Arguments[0].Value) is IPropertyReferenceOperation { Property: { IsStatic: true } platform }
                         && SymbolEqualityComparer.Default.Equals(platform.ContainingType, types.OSPlatform):
                    return "OSPlatform." + platform.Name;
                default:
                    return null;
            }
        }
    }
}
