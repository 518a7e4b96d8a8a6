using System.Collections.Generic;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// LINQ to Objects calls that cannot throw in practice: a lookup such as
    /// <c>table.Where(s =&gt; s.Value.StartsWith(prefix)).Select(s =&gt; s.Key).OfType&lt;E&gt;().FirstOrDefault()</c> over a
    /// collection. Such a call fails in three ways only:
    /// <list type="bullet">
    /// <item>a null source or delegate (<c>ArgumentNullException</c>): a delegate made from a lambda is never null, and a
    /// null source is the dereference of null this model does not count anywhere;</item>
    /// <item>a delegate it runs throws: only lambdas count, and each is read with the model like a body of its own, where
    /// it is written (a deferred operator runs it later, when the sequence is walked, but the sequence is walked by code
    /// that is read too);</item>
    /// <item>walking the source throws: a source counts as quiet when it is an array, a string, a collection of the
    /// framework (a <c>System.Collections.Generic</c> or <c>Concurrent</c> type, including the collection interfaces
    /// <c>IList</c>, <c>IDictionary</c>, ... — an implementation whose enumerator throws is not a collection anyone
    /// writes), another such LINQ call, or what a method of this compilation returns on every path when all of that is
    /// one of these (the call itself is read as any call is). A bare <c>IEnumerable&lt;T&gt;</c> may be an iterator of
    /// the caller's, and a <c>Cast</c> fails on a wrong element: both still count.</item>
    /// </list>
    /// Operators that fail on their data — <c>First</c>, <c>Single</c>, <c>ElementAt</c>, <c>Max</c>, <c>Sum</c> (overflow),
    /// <c>Cast</c> — and those that run equality or ordering of the elements (<c>Distinct</c>, <c>OrderBy</c>,
    /// <c>Contains</c>: overridable <c>Equals</c>/<c>CompareTo</c>) still count.
    /// </summary>
    internal static class QuietSequences
    {
        /// <summary>Operators that only wrap their source in an iterator.</summary>
        private static readonly HashSet<string> Deferred = new HashSet<string>
        {
            "Where", "Select", "OfType", "Skip", "Take", "SkipWhile", "TakeWhile", "AsEnumerable", "Concat", "Append", "Prepend",
        };

        /// <summary>Operators that walk their source once and fail only through it or the delegates they are given.</summary>
        private static readonly HashSet<string> Walking = new HashSet<string>
        {
            "FirstOrDefault", "LastOrDefault", "Any", "All", "Count", "LongCount", "ToList", "ToArray",
        };

        /// <summary>How many methods of this compilation deep a returned sequence is followed.</summary>
        private const int MaxDepth = 2;

        /// <summary>
        /// The cheap test before <see cref="IsQuiet"/>, which needs the bound tree (a control-flow graph's copy of a lambda
        /// is not one): an operator of <c>Enumerable</c> this model knows.
        /// </summary>
        public static bool IsCandidate(IMethodSymbol method)
            => (Deferred.Contains(method.Name) || Walking.Contains(method.Name)) && IsEnumerable(method.ContainingType);

        /// <summary>
        /// Whether <paramref name="invocation"/> is a LINQ to Objects call that cannot throw: its source is quiet to walk and
        /// every delegate it is given is a lambda for which <paramref name="isQuietLambda"/> holds.
        /// </summary>
        public static bool IsQuiet(IInvocationOperation invocation, WrapperSummaries wrappers, System.Func<IAnonymousFunctionOperation, bool> isQuietLambda)
        {
            var method = invocation.TargetMethod;
            if (!IsEnumerable(method.ContainingType) || !(Deferred.Contains(method.Name) || Walking.Contains(method.Name)) || invocation.Arguments.Length == 0)
            {
                return false;
            }

            foreach (var argument in invocation.Arguments)
            {
                var parameterType = argument.Parameter?.Type;
                if (argument.Parameter?.Ordinal == 0 || IsSequence(parameterType))
                {
                    if (!IsQuietToWalk(argument.Value, wrappers, 0))
                    {
                        return false;
                    }
                }
                else if (parameterType?.TypeKind == TypeKind.Delegate)
                {
                    if (OperationTree.SkipConversions(argument.Value) is not IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda } || !isQuietLambda(lambda))
                    {
                        return false;
                    }
                }
            }

            return true;
        }

        private static bool IsQuietToWalk(IOperation source, WrapperSummaries wrappers, int depth)
        {
            source = OperationTree.SkipConversions(source);
            switch (source.Type)
            {
                case IArrayTypeSymbol:
                    return true;
                case { SpecialType: SpecialType.System_String }:
                    return true;
                case INamedTypeSymbol named when IsFrameworkCollection(named):
                    return true;
            }

            if (source is not IInvocationOperation invocation)
            {
                return false;
            }

            var method = invocation.TargetMethod;
            if (IsEnumerable(method.ContainingType) && Deferred.Contains(method.Name))
            {
                // The operator's delegates are judged where the operator is called; here only what it walks matters.
                foreach (var argument in invocation.Arguments)
                {
                    if ((argument.Parameter?.Ordinal == 0 || IsSequence(argument.Parameter?.Type)) && !IsQuietToWalk(argument.Value, wrappers, depth))
                    {
                        return false;
                    }
                }

                return true;
            }

            return depth < MaxDepth && !invocation.IsVirtual && method.MethodKind == MethodKind.Ordinary && WrapperSummaries.IsSourceMethodWithBody(method)
                   && ReturnsQuietSequences(wrappers.GetBody(method), wrappers, depth + 1);
        }

        // Every value the body returns is quiet to walk; an iterator (yield) runs its body while walked, and does not count.
        private static bool ReturnsQuietSequences(IOperation? body, WrapperSummaries wrappers, int depth)
        {
            if (body == null)
            {
                return false;
            }

            var any = false;
            foreach (var operation in body.DescendantsAndSelf())
            {
                if (operation is not IReturnOperation returned || OperationTree.IsInNestedFunction(operation, body))
                {
                    continue;
                }

                if (returned.Kind != OperationKind.Return || returned.ReturnedValue == null || !IsQuietToWalk(returned.ReturnedValue, wrappers, depth))
                {
                    return false;
                }

                any = true;
            }

            return any;
        }

        private static bool IsEnumerable(INamedTypeSymbol? type)
            => type is { Name: "Enumerable", ContainingNamespace: { Name: "Linq", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } };

        private static bool IsSequence(ITypeSymbol? type)
            => type is INamedTypeSymbol { Name: "IEnumerable", Arity: 1 };

        // The framework's collections and their interfaces, but not a bare IEnumerable<T>, which may be anything.
        private static bool IsFrameworkCollection(INamedTypeSymbol type)
        {
            if (type.Name is "IEnumerable" or "IEnumerator" || type.ContainingNamespace is not { } space)
            {
                return false;
            }

            var name = space.ToDisplayString();
            return name == "System.Collections.Generic" || name == "System.Collections.Concurrent";
        }
    }
}
