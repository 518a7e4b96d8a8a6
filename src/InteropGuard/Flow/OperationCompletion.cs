using System;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// "Is the operation a retaining native call started over before this code leaves the region?" A call that waits for
    /// it, cancels it or unregisters what it was given (GetOverlappedResult(..., wait: true), CancelIoEx,
    /// unregister_buffer), made later in the region, ends native code's use of the pointer while the region still keeps
    /// the memory valid. Names are the evidence, as they are for retaining functions themselves. <paramref name="stillValid"/>
    /// of <see cref="IsEndedWithin"/> says where, inside the region, the memory is still pinned (before a Free).
    /// </summary>
    internal static class OperationCompletion
    {
        /// <summary>
        /// Does code that runs after <paramref name="call"/> inside <paramref name="region"/> end the operation? Later
        /// calls in the region count, and so does a call that <paramref name="call"/> is an argument of (it runs after
        /// its arguments: <c>Complete(ReadFile(h, p, n, out _, overlapped), overlapped)</c>); a managed method counts when
        /// its name says so or when it hands a parameter to a completion function (a wrapper around GetOverlappedResult).
        /// </summary>
        public static bool IsEndedWithin(SyntaxNode region, IOperation call, InteropContext interop, InteropScope scope, Func<SyntaxNode, bool>? stillValid = null)
        {
            var model = call.SemanticModel;
            foreach (var invocation in region.DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                var runsAfter = invocation.SpanStart >= call.Syntax.Span.End
                                || (invocation != call.Syntax && invocation.ArgumentList.Span.Contains(call.Syntax.Span));
                if (!runsAfter || (stillValid != null && !stillValid(invocation)))
                {
                    continue;
                }

                if (OperationEndingNames.EndsOperation(NameOf(invocation.Expression)) && !FreesOnlyAHandleSlot(invocation, model, interop))
                {
                    return true;
                }

                if (model != null && model.SyntaxTree == invocation.SyntaxTree
                    && model.GetOperation(invocation) is IInvocationOperation { TargetMethod: { } method }
                    && interop.NativeFunctions.Get(method) == null
                    && method.Parameters.Any(p => ParameterSummaries.Of(interop).Get(p, scope, 0).NativeTargets.Targets
                        .Any(t => OperationEndingNames.IsCompletionFunction(t.Function.EntryPoint))))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// <c>GCHandle.Free</c> empties a slot of the runtime's handle table and tells native code nothing: freeing the
        /// user data's handles right after a registration (<c>GCHandle.FromIntPtr(buffer[0]).Free()</c>) leaves the
        /// operation the retaining function started running, with the memory it was given gone.
        /// </summary>
        private static bool FreesOnlyAHandleSlot(InvocationExpressionSyntax invocation, SemanticModel? model, InteropContext interop)
            => model != null && model.SyntaxTree == invocation.SyntaxTree && interop.Types.GCHandle is { } gcHandle
               && model.GetSymbolInfo(invocation).Symbol is IMethodSymbol method
               && SymbolEqualityComparer.Default.Equals(method.ContainingType, gcHandle);

        private static string NameOf(ExpressionSyntax expression) => expression switch
        {
            MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
            SimpleNameSyntax simple => simple.Identifier.ValueText,
            _ => string.Empty,
        };
    }
}
