using System.Collections.Concurrent;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Does a constructor of this compilation keep one of its parameters in the object it makes, on every path that
    /// completes? NtCoreLib's <c>new NtProcess(handle)</c> reaches <c>Handle = handle</c> through three base constructors
    /// and a method (<c>: base(handle)</c> three times, then <c>SetHandle(handle, true)</c>): deeper than the wrapper
    /// summaries follow (<see cref="WrapperSummaries.MaxDepth"/>), so the handle looked dropped. Here a constructor keeps
    /// the parameter when, before any <c>return</c> of its body, it
    /// <list type="bullet">
    /// <item>passes it on unchanged through its <c>: base(...)</c>/<c>: this(...)</c> initializer to a constructor that keeps it;</item>
    /// <item>stores it, or a new object made by a constructor that keeps it, into an instance field or auto-property of
    /// <c>this</c> in a statement of its own top-level block;</item>
    /// <item>or hands it, in such a statement, to a non-virtual method of <c>this</c> that does the same (its own
    /// top-level store), or to <c>SafeHandle.SetHandle</c>.</item>
    /// </list>
    /// A store under an <c>if</c>, a loop or a <c>try</c>, into a static member or another object's, or a parameter only
    /// read, keeps nothing; unsure is "not kept" (the finding stays).
    /// </summary>
    internal sealed class KeepingConstructors
    {
        // NtCoreLib's NtProcessCreateResult -> new NtProcess -> three bases -> SetHandle is six links; eight leaves room
        // for a deeper handle hierarchy, and each link reads one body's top-level statements only.
        private const int MaxLinks = 8;

        private readonly InteropContext _context;
        private readonly ConcurrentDictionary<IParameterSymbol, bool> _kept = ConcurrentTables.Create<IParameterSymbol, bool>(SymbolEqualityComparer.Default);

        private KeepingConstructors(InteropContext context)
        {
            _context = context;
        }

        /// <summary>The compilation's one instance, held by its context.</summary>
        public static KeepingConstructors Of(InteropContext context) => context.Held.Get(c => new KeepingConstructors(c));

        /// <summary>Does <paramref name="constructor"/> keep <paramref name="parameter"/> in the object it makes?</summary>
        public bool Keeps(IMethodSymbol constructor, IParameterSymbol parameter)
        {
            if (constructor.MethodKind != MethodKind.Constructor || parameter.RefKind != RefKind.None || !WrapperSummaries.IsSourceMethodWithBody(constructor))
            {
                return false;
            }

            var key = parameter.OriginalDefinition;
            return _kept.TryGetValue(key, out var kept) ? kept : _kept.GetOrAdd(key, p => KeepsIn((IMethodSymbol)p.ContainingSymbol, p, 0));
        }

        private bool KeepsIn(IMethodSymbol method, IParameterSymbol parameter, int links)
        {
            if (links >= MaxLinks || !WrapperSummaries.IsSourceMethodWithBody(method) || _context.Wrappers.GetBody(method) is not { } body)
            {
                return false;
            }

            IOperation? statements;
            switch (body)
            {
                case IConstructorBodyOperation constructorBody:
                    if (constructorBody.Initializer is { } initializer && KeepsThroughInitializer(initializer, parameter, links))
                    {
                        return true;
                    }

                    statements = constructorBody.BlockBody ?? constructorBody.ExpressionBody;
                    break;
                case IMethodBodyOperation methodBody:
                    statements = methodBody.BlockBody ?? methodBody.ExpressionBody;
                    break;
                default:
                    return false;
            }

            if (statements is not IBlockOperation block)
            {
                return false;
            }

            foreach (var statement in block.Operations)
            {
                if (statement is IExpressionStatementOperation { Operation: { } done } && KeepsBy(done, parameter, links))
                {
                    return true;
                }

                // A store after a return the method can take is not on every path.
                if (OperationTree.Any(statement, o => o is IReturnOperation { Kind: OperationKind.Return } && !OperationTree.IsInNestedFunction(o, statement)))
                {
                    return false;
                }
            }

            return false;
        }

        private bool KeepsThroughInitializer(IOperation initializer, IParameterSymbol parameter, int links)
        {
            var call = initializer is IExpressionStatementOperation { Operation: { } inner } ? inner : initializer;
            return call is IInvocationOperation { TargetMethod: { MethodKind: MethodKind.Constructor } chained } invocation
                   && PassedAs(invocation.Arguments, parameter) is { } onward
                   && KeepsIn(chained.OriginalDefinition, onward.OriginalDefinition, links + 1);
        }

        private bool KeepsBy(IOperation operation, IParameterSymbol parameter, int links)
        {
            switch (operation)
            {
                case ISimpleAssignmentOperation assignment when IsOwnMember(assignment.Target):
                    var value = OperationTree.SkipConversions(assignment.Value);
                    return IsParameter(value, parameter)
                           || (value is IObjectCreationOperation { Constructor: { } made } creation
                               && PassedAs(creation.Arguments, parameter) is { } given
                               && KeepsIn(made.OriginalDefinition, given.OriginalDefinition, links + 1));
                case IInvocationOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } } call:
                    var method = call.TargetMethod;
                    if (PassedAs(call.Arguments, parameter) is not { } onward)
                    {
                        return false;
                    }

                    if (method.Name == "SetHandle" && _context.Types.SafeHandle is { } safeHandle
                        && SymbolEqualityComparer.Default.Equals(method.ContainingType?.OriginalDefinition, safeHandle))
                    {
                        return true;
                    }

                    // An override another class may replace is not this object's code.
                    return !method.IsVirtual && !method.IsAbstract && (!method.IsOverride || method.IsSealed || method.ContainingType?.IsSealed == true)
                           && KeepsIn(method.OriginalDefinition, onward.OriginalDefinition, links + 1);
                default:
                    return false;
            }
        }

        /// <summary>The parameter of the called method that receives <paramref name="parameter"/> unchanged, or null.</summary>
        private static IParameterSymbol? PassedAs(System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments, IParameterSymbol parameter)
        {
            foreach (var argument in arguments)
            {
                if (argument.Parameter is { RefKind: RefKind.None, IsParams: false } receiving && IsParameter(OperationTree.SkipConversions(argument.Value), parameter))
                {
                    return receiving;
                }
            }

            return null;
        }

        private static bool IsParameter(IOperation value, IParameterSymbol parameter)
            => value is IParameterReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Parameter.OriginalDefinition, parameter.OriginalDefinition);

        /// <summary>An instance field or auto-property of the object under construction (<c>this.x</c>, <c>X</c>).</summary>
        private static bool IsOwnMember(IOperation target)
            => target switch
            {
                IFieldReferenceOperation { Field.IsStatic: false, Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } } => true,
                IPropertyReferenceOperation { Property: { IsStatic: false, IsIndexer: false } property, Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } }
                    => HandleOwners.IsAutoProperty(property),
                _ => false,
            };
    }
}
