using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Framework calls whose only failure in practice is the delegate they are given:
    /// <list type="bullet">
    /// <item>calls that queue the delegate to run later on another thread — <c>Task.Run</c>, <c>TaskFactory.StartNew</c>
    /// with no scheduler argument, <c>ThreadPool.QueueUserWorkItem</c>/<c>UnsafeQueueUserWorkItem</c>: what the delegate
    /// throws ends in the task or on the pool thread, never at the call, so a delegate made on the spot (a lambda, a method
    /// group: never null) is enough;</item>
    /// <item>calls that may run the delegate before they return — <c>CancellationToken.Register</c> (at once when the
    /// token is already cancelled) and a <c>List&lt;T&gt;</c>'s predicate searches (<c>RemoveAll</c>, <c>Exists</c>,
    /// <c>TrueForAll</c>, <c>Find</c>, <c>FindIndex</c>, <c>FindLast</c>, <c>FindLastIndex</c>, <c>FindAll</c>, which do
    /// not check for changes to the list): quiet when the delegate is a lambda that cannot throw, read with the caller's
    /// model like a body of its own.</item>
    /// </list>
    /// Not here: <c>List.ForEach</c> (it throws when the action changes the list), <c>Register</c> with a delegate passed in
    /// (the user's), and any overload taking a scheduler or options, which validate them. .NET Framework's <c>Register</c>
    /// also throws on a token whose source was disposed; that is a use of the caller's own disposed source, not a path a
    /// release should cover.
    /// </summary>
    internal static class DelegateTakingCalls
    {
        /// <summary>The cheap test before <see cref="IsQuiet"/>, which needs the bound tree.</summary>
        public static bool IsCandidate(IMethodSymbol method) => RunsLater(method) || RunsNow(method);

        /// <summary>Whether <paramref name="invocation"/> (bound, not a graph's copy) is such a call that cannot fail.</summary>
        public static bool IsQuiet(IInvocationOperation invocation, System.Func<IAnonymousFunctionOperation, bool> isQuietLambda)
        {
            var method = invocation.TargetMethod;
            var runsLater = RunsLater(method);
            if (!runsLater && !RunsNow(method))
            {
                return false;
            }

            var delegates = 0;
            foreach (var argument in invocation.Arguments)
            {
                var type = argument.Parameter?.Type;
                if (type?.TypeKind == TypeKind.Delegate)
                {
                    var value = OperationTree.SkipConversions(argument.Value);
                    var made = value is IDelegateCreationOperation or IAnonymousFunctionOperation or IMethodReferenceOperation;
                    if (!made || (!runsLater && !(value is IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda } && isQuietLambda(lambda))))
                    {
                        return false;
                    }

                    delegates++;
                }
                else if (!IsPlainArgument(type))
                {
                    return false;
                }
            }

            return delegates == 1;
        }

        private static bool RunsLater(IMethodSymbol method)
            => method.ContainingType is { } type
               && ((method.Name == "Run" && method.IsStatic && IsType(type, "System.Threading.Tasks", "Task"))
                   || (method.Name == "StartNew" && IsType(type, "System.Threading.Tasks", "TaskFactory"))
                   || (method.Name is "QueueUserWorkItem" or "UnsafeQueueUserWorkItem" && IsType(type, "System.Threading", "ThreadPool")));

        private static bool RunsNow(IMethodSymbol method)
            => method.ContainingType is { } type
               && ((method.Name is "Register" or "UnsafeRegister" && IsType(type, "System.Threading", "CancellationToken"))
                   || (method.Name is "RemoveAll" or "Exists" or "TrueForAll" or "Find" or "FindIndex" or "FindLast" or "FindLastIndex" or "FindAll"
                       && method.Parameters.Length == 1 && IsType(type, "System.Collections.Generic", "List")));

        // What the overloads take besides the delegate without validating it: a state object, a cancellation token, a
        // flag. Schedulers and option enums are checked, so those overloads are not read here.
        private static bool IsPlainArgument(ITypeSymbol? type)
            => type != null && (type.SpecialType is SpecialType.System_Object or SpecialType.System_Boolean
                                || type.TypeKind == TypeKind.TypeParameter
                                || (type is INamedTypeSymbol named && IsType(named, "System.Threading", "CancellationToken")));

        private static bool IsType(INamedTypeSymbol type, string ns, string name)
            => type.Name == name && NamespaceNames.Is(type.ContainingNamespace, ns);
    }
}
