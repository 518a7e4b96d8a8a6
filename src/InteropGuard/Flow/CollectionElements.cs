using System.Collections.Generic;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A lambda that a LINQ to Objects operator runs on each element of a collection: <c>_ports.Select(p =&gt;
    /// Native.name(p._handle)).ToList()</c>. While the lambda runs, its element is still in the collection it was taken
    /// from, so whatever holds that collection holds the element. The operator's own enumerator is not counted on: how long
    /// it keeps its source is the library's and the JIT's choice (a <c>ToList</c> over an array walks a span of it in a
    /// loop of its own), and a generator's element is held by nobody. What is counted is the variable the
    /// collection is read from: the caller's reading asks it to be read after the walk.
    /// <para>
    /// The collection must be one that holds its elements — an array or a <c>List&lt;T&gt;</c> — read straight from a
    /// field, local or parameter (a property may make a fresh copy each time, held by the enumerator alone). The lambda is
    /// a direct argument of an <c>Enumerable</c> operator whose delegate is given the element itself (<see cref="ElementOperators"/>:
    /// not <c>Aggregate</c>, whose first parameter is the running result), and the operator's result is walked at once: it is
    /// the source of further <c>Enumerable</c> operators up to one that returns something other than a sequence
    /// (<see cref="Walks"/>), which runs the lambda for the last time before it returns. A query stored, returned or
    /// walked by a <c>foreach</c> is not read so. As IG1001 reads a field chain as kept by its root, the collection is read as
    /// kept by the variable it is read from, and the element's slot as not overwritten while the lambda runs.
    /// </para>
    /// </summary>
    internal static class CollectionElements
    {
        /// <summary>Operators whose delegates are given an element of the source as their first parameter.</summary>
        private static readonly HashSet<string> ElementOperators = new HashSet<string>
        {
            "Select", "Where", "SelectMany", "Any", "All", "Count", "LongCount", "First", "FirstOrDefault", "Last", "LastOrDefault",
            "Single", "SingleOrDefault", "TakeWhile", "SkipWhile", "Sum", "Min", "Max", "Average", "MinBy", "MaxBy", "OrderBy",
            "OrderByDescending", "GroupBy", "ToDictionary", "ToLookup", "DistinctBy",
        };

        /// <summary>Operators that walk their source to the end (or to their answer) before they return, and return no sequence.</summary>
        private static readonly HashSet<string> Walks = new HashSet<string>
        {
            "ToArray", "ToList", "ToDictionary", "ToHashSet", "ToLookup", "Any", "All", "Count", "LongCount", "First", "FirstOrDefault",
            "Last", "LastOrDefault", "Single", "SingleOrDefault", "Sum", "Min", "Max", "Average", "MinBy", "MaxBy", "Contains",
            "ElementAt", "ElementAtOrDefault", "Aggregate",
        };

        /// <summary>
        /// When <paramref name="element"/> is the element parameter of the lambda around <paramref name="call"/> (in
        /// <paramref name="root"/>, and not in a function nested in that lambda), and the lambda is run by an operator on a
        /// collection as described above: the call that walks it and the collection it walks. Null otherwise.
        /// </summary>
        public static (IInvocationOperation Walk, IOperation Collection, IAnonymousFunctionOperation Lambda)? Around(IOperation call, IParameterSymbol element, IOperation root, WellKnownTypes types)
        {
            if (element is not { Ordinal: 0, RefKind: RefKind.None, ContainingSymbol: IMethodSymbol { MethodKind: MethodKind.AnonymousFunction } function }
                || types.Enumerable is not { } enumerable
                || OperationTree.InTree(call, root) is not { } inTree
                || OperationTree.EnclosingFunction(inTree, root) is not IAnonymousFunctionOperation lambda)
            {
                return null;
            }

            if (!SymbolEqualityComparer.Default.Equals(lambda.Symbol, function)
                || lambda.Parent is not IDelegateCreationOperation creation
                || OperationTree.WithConversions(creation).Parent is not IArgumentOperation { Parameter.Ordinal: > 0 } argument
                || argument.Parent is not IInvocationOperation { Instance: null } runner
                || !IsOperator(runner, enumerable, ElementOperators)
                || !GivenTheElement(runner.TargetMethod, argument.Parameter!)
                || OperationTree.ArgumentValue(runner, 0) is not { } source
                || !HoldsItsElements(OperationTree.SkipConversions(source), types))
            {
                return null;
            }

            return WalkOf(runner, types) is { } walk ? (walk, OperationTree.SkipConversions(source), lambda) : null;
        }

        /// <summary>
        /// The call that walks what the <c>Enumerable</c> operator <paramref name="runner"/> returns at once: the operator
        /// itself when it returns no sequence, or the first such operator up a chain of <c>Enumerable</c> calls each of whose
        /// source is the one before. Every delegate the chain was given has run for the last time when it returns. Null for a
        /// sequence stored, returned, or walked by anything else.
        /// </summary>
        public static IInvocationOperation? WalkOf(IInvocationOperation runner, WellKnownTypes types)
        {
            if (types.Enumerable is not { } enumerable || runner.Instance != null || !IsOperator(runner, enumerable, null))
            {
                return null;
            }

            for (var current = runner; ;)
            {
                if (Walks.Contains(current.TargetMethod.Name))
                {
                    return current;
                }

                if (OperationTree.WithConversions(current).Parent is not IArgumentOperation { Parameter.Ordinal: 0, Parent: IInvocationOperation { Instance: null } next }
                    || !IsOperator(next, enumerable, null))
                {
                    return null;
                }

                current = next;
            }
        }

        private static bool IsOperator(IInvocationOperation invocation, INamedTypeSymbol enumerable, HashSet<string>? names)
            => SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, enumerable)
               && (names == null || names.Contains(invocation.TargetMethod.Name));

        // The delegate's first parameter is the operator's TSource, which its first parameter enumerates.
        private static bool GivenTheElement(IMethodSymbol method, IParameterSymbol parameter)
        {
            var definition = (method.ReducedFrom ?? method).OriginalDefinition;
            if (definition.TypeParameters.Length == 0 || definition.Parameters.Length <= parameter.Ordinal
                || definition.Parameters[parameter.Ordinal].Type is not INamedTypeSymbol { DelegateInvokeMethod.Parameters: { Length: > 0 } delegateParameters }
                || definition.Parameters[0].Type is not INamedTypeSymbol { TypeArguments.Length: 1 } sequence)
            {
                return false;
            }

            var element = definition.TypeParameters[0];
            return SymbolEqualityComparer.Default.Equals(delegateParameters[0].Type, element)
                   && SymbolEqualityComparer.Default.Equals(sequence.TypeArguments[0], element);
        }

        private static bool HoldsItsElements(IOperation source, WellKnownTypes types)
            => source is IFieldReferenceOperation or ILocalReferenceOperation or IParameterReferenceOperation
               && (source.Type is IArrayTypeSymbol { IsSZArray: true }
                   || (source.Type is INamedTypeSymbol named && types.List is { } list && SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, list)));
    }
}
