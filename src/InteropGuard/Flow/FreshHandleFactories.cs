using System.Collections.Generic;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Does a call hand out a SafeHandle nobody else holds? A <c>new</c> of one, a factory the allocation catalogue knows,
    /// or a method of the compilation that no override can replace and every return of which is one of those, or a local
    /// of its own that it made so and only lent before returning it: to native calls that do not keep it, or to methods of
    /// the compilation (no override can replace them either) whose parameter is only used so
    /// (<see cref="ValueUses"/>, with its parameter summaries). The handle then reaches the caller and nobody else.
    /// wasmtime-dotnet's <c>WasiConfiguration.Build</c> makes the configuration handle, hands it to six private setters
    /// that each pass it to a <c>wasi_config_*</c> P/Invoke, and returns it. A branch may hand out a handle that owns
    /// nothing instead (NtCoreLib's <c>SafeHGlobalBuffer.Null</c>). The one reading behind <see cref="UnsharedHandles"/>'
    /// fresh locals and <see cref="DisposerHeldHandles"/>' fresh buffers.
    /// </summary>
    internal sealed class FreshHandleFactories
    {
        // How many factories deep a fresh handle is followed (NtCoreLib's 'value.ToBuffer()' returns 'CreateBuffer(...)').
        private const int MaxDepth = 3;

        private readonly InteropContext _context;
        private readonly ValueUses _uses;

        public FreshHandleFactories(InteropContext context, ValueUses uses)
        {
            _context = context;
            _uses = uses;
        }

        /// <summary>A new SafeHandle, one a factory the catalogue knows hands out fresh, or a fresh factory's result.</summary>
        public bool IsFresh(IOperation value) => IsFresh(value, depth: 0);

        /// <summary>A call of a method of the compilation every return of which is a fresh handle (see the class).</summary>
        public bool ReturnsFresh(IInvocationOperation call) => ReturnsFresh(call, depth: 0);

        /// <summary>A handle that owns nothing: a creation told so by a constant, or a static getter that returns only such.</summary>
        public bool IsOwnerless(IOperation value) => IsOwnerless(value, depth: 0);

        private bool IsFresh(IOperation value, int depth)
        {
            switch (OperationTree.SkipConversions(value))
            {
                case IObjectCreationOperation creation:
                    return IsSafeHandle(creation.Type);
                case IInvocationOperation call:
                    return (_uses.Scope.Catalogue.TryGetAllocator(call.TargetMethod, out var allocator) && allocator.Kind == ResourceKind.SafeHandle)
                           || ReturnsFresh(call, depth);
                default:
                    return false;
            }
        }

        private bool ReturnsFresh(IInvocationOperation call, int depth)
        {
            var method = call.TargetMethod;
            if (depth >= MaxDepth || !IsSafeHandle(call.Type) || !WrapperSummaries.IsSourceMethodWithBody(method) || IsOverridable(method)
                || _context.Wrappers.GetBody(method.OriginalDefinition) is not { } body)
            {
                return false;
            }

            var fresh = ReturnedValues(body).Where(r => !IsOwnerless(r, depth + 1)).ToList();
            return fresh.Count > 0 && fresh.All(r => IsFresh(r, depth + 1) || IsMadeLocal(r, body, depth + 1));
        }

        /// <summary>
        /// A local of <paramref name="body"/> every write of which is a fresh handle (or null), and that is otherwise only
        /// returned, or lent to calls that neither keep it nor can be replaced by an override.
        /// </summary>
        private bool IsMadeLocal(IOperation returned, IOperation body, int depth)
            => OperationTree.SkipConversions(returned) is ILocalReferenceOperation { Local: { IsRef: false } local }
               && IsMadeOnlyOfFresh(local, body, r => OperationTree.WithConversions(r).Parent is IReturnOperation || IsLent(r), depth);

        /// <summary>
        /// A local of <paramref name="body"/> at least one write of which is a fresh handle and every other write null,
        /// every other reference of which <paramref name="otherUse"/> accepts, and that no lambda or local function touches:
        /// the handles it holds were made here and went only where the caller's test allows.
        /// </summary>
        public bool IsMadeOnlyOfFresh(ILocalSymbol local, IOperation body, System.Func<ILocalReferenceOperation, bool> otherUse) => IsMadeOnlyOfFresh(local, body, otherUse, depth: 0);

        private bool IsMadeOnlyOfFresh(ILocalSymbol local, IOperation body, System.Func<ILocalReferenceOperation, bool> otherUse, int depth)
        {
            var made = false;
            foreach (var operation in body.Descendants())
            {
                IOperation? written = null;
                if (operation is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, local))
                {
                    if (OperationTree.IsInNestedFunction(declarator, body))
                    {
                        return false;
                    }

                    written = declarator.Initializer?.Value;
                }
                else if (operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local))
                {
                    // Read or written by a lambda or local function: it may run anywhere, at any time.
                    if (OperationTree.IsInNestedFunction(reference, body))
                    {
                        return false;
                    }

                    if (reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference)
                    {
                        written = assignment.Value;
                    }
                    else if (!otherUse(reference))
                    {
                        return false;
                    }
                }

                if (written == null)
                {
                    continue;
                }

                foreach (var branch in Branches(written))
                {
                    if (IsNull(branch))
                    {
                        continue;
                    }

                    if (!IsFresh(branch, depth))
                    {
                        return false;
                    }

                    made = true;
                }
            }

            return made;
        }

        // Given to a call for its duration: a native function that does not keep it, or a method of the compilation no
        // override can replace whose parameter is only used so. A member of the handle's own type, written in the
        // compilation, may keep 'this' unless it is only a state check (IsInvalid); a library member (SetHandleAsInvalid) does not.
        private bool IsLent(ILocalReferenceOperation reference)
        {
            var member = OperationTree.WithConversions(reference).Parent switch
            {
                IInvocationOperation call when call.Instance != null && OperationTree.SkipConversions(call.Instance) == reference => call.TargetMethod,
                IPropertyReferenceOperation property when property.Instance != null && OperationTree.SkipConversions(property.Instance) == reference => property.Property,
                _ => (ISymbol?)null,
            };
            var use = _uses.Classify(reference);
            return use.Kind is ValueUseKind.Use or ValueUseKind.Inspect
                   && (member == null || member.DeclaringSyntaxReferences.IsEmpty || use.Kind == ValueUseKind.Inspect)
                   && !(use.Site is IInvocationOperation lentTo && IsOverridable(lentTo.TargetMethod));
        }

        private static bool IsOverridable(IMethodSymbol method)
            => (method.IsVirtual || method.IsAbstract || method.IsOverride) && !method.IsSealed && method.ContainingType?.IsSealed != true;

        private static bool IsNull(IOperation value)
            => value is IDefaultValueOperation || value is ILiteralOperation { ConstantValue: { HasValue: true, Value: null } };

        private bool IsOwnerless(IOperation value, int depth)
        {
            switch (OperationTree.SkipConversions(value))
            {
                case IObjectCreationOperation creation:
                    return _context.HandleReleases.CreationDisowns(creation) || _context.HandleReleases.ConstructorDisowns(creation.Constructor);
                case IPropertyReferenceOperation { Property: { IsStatic: true, GetMethod: { } getter } } when depth <= MaxDepth && _context.Wrappers.GetBody(getter) is { } body:
                    var returns = ReturnedValues(body);
                    return returns.Count > 0 && returns.All(r => IsOwnerless(r, depth + 1));
                default:
                    return false;
            }
        }

        private bool IsSafeHandle(ITypeSymbol? type) => _context.Types.IsSafeHandle(type);

        /// <summary>The values <paramref name="body"/>'s returns hand out, each branch of a conditional apart; empty when one returns nothing.</summary>
        internal static List<IOperation> ReturnedValues(IOperation body)
        {
            var values = new List<IOperation>();
            foreach (var returned in body.Descendants().OfType<IReturnOperation>())
            {
                if (OperationTree.IsInNestedFunction(returned, body))
                {
                    continue;
                }

                if (returned.ReturnedValue == null)
                {
                    return new List<IOperation>();
                }

                values.AddRange(Branches(returned.ReturnedValue));
            }

            return values;
        }

        /// <summary>The values <paramref name="value"/> may be: each arm of a conditional, a coalesce or a switch expression.</summary>
        internal static IEnumerable<IOperation> Branches(IOperation value)
        {
            value = OperationTree.SkipConversions(value);
            if (value is IConditionalOperation { WhenFalse: { } whenFalse } conditional)
            {
                return Branches(conditional.WhenTrue).Concat(Branches(whenFalse));
            }

            if (value is ICoalesceOperation coalesce)
            {
                return Branches(coalesce.Value).Concat(Branches(coalesce.WhenNull));
            }

            // A 'switch' expression's arms; an arm that throws returns nothing.
            if (value is ISwitchExpressionOperation switchExpression)
            {
                return switchExpression.Arms.Where(a => OperationTree.SkipConversions(a.Value) is not IThrowOperation).SelectMany(a => Branches(a.Value));
            }

            return new[] { value };
        }
    }
}
