using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Is a <c>Dictionary.Add</c> one whose key no entry can already have: the dictionary a private field of the class that
    /// only ever holds a dictionary the class made itself (<c>new Dictionary&lt;int, object&gt;()</c>, no collection
    /// initializer) and is never handed out, and the key a private integer counter of the same class that is only ever
    /// stepped up (<c>++</c>), where every key the class adds is that counter and every add is followed by its step
    /// (<c>_slots.Add(_next, value); return _next++;</c>, or <c>_slots.Add(_next++, value)</c>). Every key in the dictionary
    /// is then a value the counter has left behind, so <c>Add</c> cannot meet a duplicate (VroomJs' keep-alive store, fresh30).
    /// The class must be a class, not a record, and must not clone itself (<c>MemberwiseClone</c>): a copy would share the
    /// dictionary and step a counter of its own. A counter that would have to wrap around (four billion adds of an
    /// <c>int</c>) is not considered, nor a subclass elsewhere cloning the object; concurrent adds from two threads would
    /// corrupt the dictionary itself, whatever its keys. One answer per dictionary and counter pair.
    /// </summary>
    internal sealed class CounterKeyedAdds
    {
        private readonly Compilation _compilation;
        private readonly ConcurrentDictionary<(IFieldSymbol Dictionary, IFieldSymbol Counter), bool> _pairs
            = ConcurrentTables.Create<(IFieldSymbol, IFieldSymbol), bool>(new PairComparer());

        private CounterKeyedAdds(InteropContext context)
        {
            _compilation = context.Compilation;
        }

        /// <summary>The compilation's one instance, held by its context.</summary>
        public static CounterKeyedAdds Of(InteropContext context) => context.Held.Get(c => new CounterKeyedAdds(c));

        /// <summary>A cheap test of the method alone: <c>Dictionary&lt;K, V&gt;.Add</c>.</summary>
        public static bool IsCandidate(IMethodSymbol method)
            => method.Name == "Add" && method.Parameters.Length == 2 && IsDictionary(method.ContainingType);

        /// <summary>Whether <paramref name="add"/> (a call of <see cref="IsCandidate"/>'s method) adds a key no entry can have.</summary>
        public bool IsFreshKey(IInvocationOperation add)
            => Pair(add) is { } pair && _pairs.GetOrAdd(pair, p => IsCounterKeyed(p.Dictionary, p.Counter));

        private static (IFieldSymbol Dictionary, IFieldSymbol Counter)? Pair(IInvocationOperation add)
        {
            if (add.Instance is not { } instance || OwnField(instance) is not { } dictionary || add.Arguments.Length != 2)
            {
                return null;
            }

            var key = add.Arguments.First(a => a.Parameter?.Ordinal == 0).Value;
            return CounterOf(key) is { } counter && IsCounterType(counter.Type)
                   && counter.IsStatic == dictionary.IsStatic && SymbolEqualityComparer.Default.Equals(counter.ContainingType, dictionary.ContainingType)
                ? (dictionary, counter)
                : null;
        }

        // A private field read on 'this' (or a static one), not a field of another instance of the class.
        private static IFieldSymbol? OwnField(IOperation operation)
            => OperationTree.SkipConversions(operation) is IFieldReferenceOperation { Field: { DeclaredAccessibility: Accessibility.Private, RefKind: RefKind.None } field } reference
               && (field.IsStatic ? reference.Instance == null : reference.Instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance })
                ? field
                : null;

        // The counter itself, or its step inside the key ('_next++', '++_next').
        private static IFieldSymbol? CounterOf(IOperation key)
        {
            key = OperationTree.SkipConversions(key);
            if (key is IIncrementOrDecrementOperation { Kind: OperationKind.Increment } step)
            {
                key = step.Target;
            }

            return OwnField(key);
        }

        private bool IsCounterKeyed(IFieldSymbol dictionary, IFieldSymbol counter)
        {
            var cancellationToken = CancellationToken.None;
            var owner = dictionary.ContainingType;

            // A copy of the object would share the dictionary and step a counter of its own: a struct, a record's 'with', or
            // a shallow clone the class makes of itself.
            if (owner is not { TypeKind: TypeKind.Class, IsRecord: false } || ClonesItself(owner, cancellationToken))
            {
                return false;
            }

            // The dictionary only ever holds one the class made empty: no other code can have put a key in it.
            if (!PrivateFieldStores.All(_compilation, dictionary, cancellationToken, (syntax, value) => IsEmptyDictionaryCreation(syntax, value)))
            {
                return false;
            }

            foreach (var reference in FieldReferencesInType.Of(_compilation, dictionary, owner, cancellationToken))
            {
                if (reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference)
                {
                    continue;
                }

                if (!IsKeptUse(reference, counter))
                {
                    return false;
                }
            }

            // The counter is only ever stepped up: its initializer aside, no assignment, no step down, no ref.
            foreach (var reference in FieldReferencesInType.Of(_compilation, counter, owner, cancellationToken))
            {
                if (OwnField(reference) == null)
                {
                    return false;
                }

                if (reference.Parent is IIncrementOrDecrementOperation step && step.Target == reference)
                {
                    if (step.Kind != OperationKind.Increment)
                    {
                        return false;
                    }
                }
                else if ((reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference) || OperationTree.IsOtherWrite(reference))
                {
                    return false;
                }
            }

            return true;
        }

        private static bool ClonesItself(INamedTypeSymbol owner, CancellationToken cancellationToken)
            => owner.DeclaringSyntaxReferences.Any(reference => reference.GetSyntax(cancellationToken).DescendantNodes()
                .OfType<IdentifierNameSyntax>().Any(name => name.Identifier.ValueText == "MemberwiseClone"));

        private static bool IsEmptyDictionaryCreation(ExpressionSyntax syntax, IOperation? value)
        {
            if (value != null)
            {
                return OperationTree.SkipConversions(value) is IObjectCreationOperation { Initializer: null, Type: INamedTypeSymbol type } && IsDictionary(type);
            }

            return syntax switch
            {
                ImplicitObjectCreationExpressionSyntax { Initializer: null } => true,
                ObjectCreationExpressionSyntax { Initializer: null, Type: var type } => TypeSyntaxNames.Rightmost(type) == "Dictionary",
                _ => false,
            };
        }

        // A use of the dictionary that adds no key but the counter's, and keeps the dictionary in the class.
        private static bool IsKeptUse(IFieldReferenceOperation reference, IFieldSymbol counter)
        {
            if (OwnField(reference) == null)
            {
                return false;
            }

            switch (reference.Parent)
            {
                case IInvocationOperation call when call.Instance == reference:
                    return call.TargetMethod.Name switch
                    {
                        "Add" or "TryAdd" => IsCounterKeyAndStepped(call, counter),
                        "Remove" or "TryGetValue" or "ContainsKey" or "ContainsValue" or "Clear" or "GetEnumerator" or "TrimExcess" or "EnsureCapacity" => true,
                        _ => false,
                    };
                case IPropertyReferenceOperation property when property.Instance == reference:
                    // Reading Count, Keys, Values or an entry; a store through the indexer adds a key of its own.
                    return !(property.Property.IsIndexer && property.Parent is ISimpleAssignmentOperation store && store.Target == property)
                           && !OperationTree.IsOtherWrite(property);
                case IForEachLoopOperation loop when loop.Collection == reference:
                    return true;
                case IConversionOperation { IsImplicit: true, Parent: IForEachLoopOperation }:
                    return true;
                default:
                    return false;
            }
        }

        // The key is the counter's step itself, or the counter read by a statement the counter's step directly follows.
        private static bool IsCounterKeyAndStepped(IInvocationOperation add, IFieldSymbol counter)
        {
            var key = add.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value;
            if (key == null || !SymbolEqualityComparer.Default.Equals(CounterOf(key), counter))
            {
                return false;
            }

            if (OperationTree.SkipConversions(key) is IIncrementOrDecrementOperation)
            {
                return true;
            }

            if (add.Parent is not IExpressionStatementOperation statement || statement.Parent is not IBlockOperation block)
            {
                return false;
            }

            var index = block.Operations.IndexOf(statement);
            if (index < 0 || index + 1 >= block.Operations.Length)
            {
                return false;
            }

            var next = block.Operations[index + 1] switch
            {
                IExpressionStatementOperation expression => expression.Operation,
                IReturnOperation { ReturnedValue: { } returned } => OperationTree.SkipConversions(returned),
                _ => null,
            };
            return next is IIncrementOrDecrementOperation { Kind: OperationKind.Increment } step
                   && SymbolEqualityComparer.Default.Equals(OwnField(step.Target), counter);
        }

        private static bool IsDictionary(INamedTypeSymbol? type)
            => type is { Name: "Dictionary", Arity: 2, ContainingNamespace: { Name: "Generic", ContainingNamespace: { Name: "Collections", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } } };

        private static bool IsCounterType(ITypeSymbol type)
            => type.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_UInt32 or SpecialType.System_UInt64;

        private sealed class PairComparer : System.Collections.Generic.IEqualityComparer<(IFieldSymbol Dictionary, IFieldSymbol Counter)>
        {
            public bool Equals((IFieldSymbol Dictionary, IFieldSymbol Counter) x, (IFieldSymbol Dictionary, IFieldSymbol Counter) y)
                => SymbolEqualityComparer.Default.Equals(x.Dictionary, y.Dictionary) && SymbolEqualityComparer.Default.Equals(x.Counter, y.Counter);

            public int GetHashCode((IFieldSymbol Dictionary, IFieldSymbol Counter) pair)
                => SymbolEqualityComparer.Default.GetHashCode(pair.Dictionary) * 31 + SymbolEqualityComparer.Default.GetHashCode(pair.Counter);
        }
    }
}
