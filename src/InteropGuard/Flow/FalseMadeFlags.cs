using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A <c>bool</c> member that is false in every instance of a class: the SkiaSharp-style <c>OwnsHandle</c> of a wrapper
    /// that only ever wraps what someone else owns (Jolt's <c>Body</c>, made only as <c>h =&gt; new Body(h, false)</c>).
    /// It holds when the member (a field, or an auto-property no class of the compilation overrides) is written only by
    /// the constructors of its declaring class, each storing one of its own parameters (or the constant false) into
    /// <c>this</c>; no constructor of the class or of a subclass of it in the compilation can be called from outside (so
    /// every instance is made here: <c>InternalsVisibleTo</c> friends are not counted, as everywhere else); and every
    /// creation of the class or a subclass — <c>new T(..)</c> or target-typed <c>new(..)</c> in a file that names the
    /// type, through any chain of <c>: this(..)</c> and <c>: base(.., owns)</c> — hands the constant false to the
    /// parameters that reach the member. A target-typed <c>new(..)</c> whose type is given only by a parameter declared
    /// in another file is not seen. Answered once per class and member per compilation, only when a finalizer's path
    /// tests the member (<see cref="SilentFinalizers"/>); the member's stores are read once.
    /// </summary>
    internal sealed class FalseMadeFlags
    {
        private readonly InteropContext _interop;
        private readonly ConcurrentDictionary<(INamedTypeSymbol Type, ISymbol Member), bool> _answers = ConcurrentTables.Create<(INamedTypeSymbol Type, ISymbol Member), bool>(SymbolPairComparer<INamedTypeSymbol, ISymbol>.Instance);

        private readonly ConcurrentDictionary<ISymbol, Dictionary<IMethodSymbol, HashSet<int>>?> _stores = ConcurrentTables.Create<ISymbol, Dictionary<IMethodSymbol, HashSet<int>>?>(SymbolEqualityComparer.Default);

        // The compilation's classes by direct base class; listed the first time a class passes the visibility test.
        private readonly System.Lazy<Dictionary<INamedTypeSymbol, List<INamedTypeSymbol>>> _subclasses;

        public FalseMadeFlags(InteropContext interop)
        {
            _interop = interop;
            _subclasses = new System.Lazy<Dictionary<INamedTypeSymbol, List<INamedTypeSymbol>>>(ListSubclasses, System.Threading.LazyThreadSafetyMode.ExecutionAndPublication);
        }

        /// <summary>
        /// No constructor of <paramref name="type"/> can be called from outside the compilation
        /// (an implicit constructor of a public class can).
        /// </summary>
        private static bool IsMadeOnlyHere(INamedTypeSymbol type) => type.InstanceConstructors.All(constructor => !IsCallableOutside(constructor, type));

        /// <summary>Whether <paramref name="member"/>, read on an instance of <paramref name="type"/>, is false in every instance.</summary>
        public bool IsFalseIn(ISymbol member, INamedTypeSymbol type)
        {
            var key = (type.OriginalDefinition, member.OriginalDefinition);
            return _answers.TryGetValue(key, out var known) ? known : _answers.GetOrAdd(key, k => Compute(k.Item1, k.Item2));
        }

        private bool Compute(INamedTypeSymbol type, ISymbol member)
        {
            // The cheap test first: most classes a finalizer's condition is read for can be made from outside.
            if (!IsMadeOnlyHere(type) || !IsFlag(member) || member.ContainingType.OriginalDefinition is not { } declaring || !IsOrDerives(type, declaring)
                || Stores(member, declaring) is not { } stores)
            {
                return false;
            }

            var family = Family(type);
            if (family.Any(t => !IsMadeOnlyHere(t)))
            {
                return false;
            }

            var needs = new Dictionary<IMethodSymbol, HashSet<int>?>(SymbolEqualityComparer.Default);
            foreach (var made in family)
            {
                if (made.IsAbstract)
                {
                    continue;
                }

                foreach (var creation in Creations(made))
                {
                    if (creation?.Constructor is not { } constructor || Needs(constructor, declaring, stores, needs, 0) is not { } ordinals
                        || ordinals.Any(ordinal => !PassesFalse(creation.Arguments, ordinal)))
                    {
                        return false;
                    }
                }
            }

            return true;
        }

        private Dictionary<IMethodSymbol, HashSet<int>>? Stores(ISymbol member, INamedTypeSymbol declaring)
            => _stores.TryGetValue(member, out var known) ? known : _stores.GetOrAdd(member, m => StoringConstructors(m, declaring));

        /// <summary>A non-static bool field, or a bool auto-property that nothing overrides (an override could answer true).</summary>
        private bool IsFlag(ISymbol member)
        {
            switch (member)
            {
                case IFieldSymbol { IsStatic: false, Type.SpecialType: SpecialType.System_Boolean }:
                    return true;
                case IPropertySymbol { IsStatic: false, IsAbstract: false, IsOverride: false, Type.SpecialType: SpecialType.System_Boolean, GetMethod: { } getter } property:
                    return HandleOwners.IsAutoProperty(property) && (!property.IsVirtual || CompilationOverrides.Of(_interop).Overriding(getter).Count == 0);
                default:
                    return false;
            }
        }

        /// <summary>
        /// For each constructor of <paramref name="declaring"/> that stores into the member, the parameters it stores;
        /// null when some write is not <c>this.member = parameter</c> (or <c>= false</c>) in a constructor's own body.
        /// </summary>
        private Dictionary<IMethodSymbol, HashSet<int>>? StoringConstructors(ISymbol member, INamedTypeSymbol declaring)
        {
            var stores = new Dictionary<IMethodSymbol, HashSet<int>>(SymbolEqualityComparer.Default);
            var accepted = MemberWrites.All(_interop.Compilation, member, (kind, value) =>
            {
                if (value == null || (kind != MemberWriteKind.Assignment && kind != MemberWriteKind.Initializer))
                {
                    return false;
                }

                if (OperationTree.SkipConversions(value).ConstantValue is { HasValue: true, Value: false })
                {
                    return true;
                }

                if (kind != MemberWriteKind.Assignment
                    || value.Parent is not ISimpleAssignmentOperation { Target: IMemberReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } } }
                    || OperationTree.SkipConversions(value) is not IParameterReferenceOperation { Parameter: { RefKind: RefKind.None, ContainingSymbol: IMethodSymbol { MethodKind: MethodKind.Constructor } constructor } parameter }
                    || !SymbolEqualityComparer.Default.Equals(constructor.ContainingType.OriginalDefinition, declaring)
                    || value.Syntax.Ancestors().FirstOrDefault(a => a is ConstructorDeclarationSyntax || OperationTree.IsFunctionSyntax(a)) is not ConstructorDeclarationSyntax
                    || IsReassigned(constructor, parameter))
                {
                    return false;
                }

                var key = constructor.OriginalDefinition;
                if (!stores.TryGetValue(key, out var ordinals))
                {
                    stores[key] = ordinals = new HashSet<int>();
                }

                ordinals.Add(parameter.Ordinal);
                return true;
            });
            return accepted ? stores : null;
        }

        // 'owns = !owns;' before the store: the stored value is no longer the argument.
        private bool IsReassigned(IMethodSymbol constructor, IParameterSymbol parameter)
            => _interop.Wrappers.GetBody(constructor) is not { } body
               || body.Descendants().Any(o =>
                   (o is IAssignmentOperation { Target: IParameterReferenceOperation target } && SymbolEqualityComparer.Default.Equals(target.Parameter, parameter))
                   || (o is IArgumentOperation { Parameter.RefKind: not RefKind.None, Value: IParameterReferenceOperation passed } && SymbolEqualityComparer.Default.Equals(passed.Parameter, parameter)));

        /// <summary>
        /// The ordinals of <paramref name="constructor"/>'s parameters that must be false for the member to be false after
        /// it ran (its own stores, and the parameters it hands to the stores of the constructor it chains to); null when
        /// a chain hands the member anything but false or one of its own parameters.
        /// </summary>
        private HashSet<int>? Needs(IMethodSymbol constructor, INamedTypeSymbol declaring, Dictionary<IMethodSymbol, HashSet<int>> stores,
                                    Dictionary<IMethodSymbol, HashSet<int>?> known, int depth)
        {
            constructor = constructor.OriginalDefinition;
            if (known.TryGetValue(constructor, out var needs))
            {
                return needs;
            }

            // Chains longer than this are not in real class trees; a cycle ('this(..)' both ways) does not compile.
            if (depth > 16)
            {
                return null;
            }

            needs = SymbolEqualityComparer.Default.Equals(constructor.ContainingType, declaring) && stores.TryGetValue(constructor, out var own) ? new HashSet<int>(own) : new HashSet<int>();
            if (Chained(constructor) is not { } chained)
            {
                needs = null;
            }
            else if (chained.Target is { } target && IsOrDerives(target.ContainingType.OriginalDefinition, declaring))
            {
                if (Needs(target, declaring, stores, known, depth + 1) is not { } targetNeeds)
                {
                    needs = null;
                }
                else
                {
                    foreach (var ordinal in targetNeeds)
                    {
                        var value = chained.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == ordinal)?.Value is { } argument ? OperationTree.SkipConversions(argument) : null;
                        if (value?.ConstantValue is { HasValue: true, Value: false })
                        {
                            continue;
                        }

                        if (value is IParameterReferenceOperation { Parameter: var parameter } && SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol.OriginalDefinition, constructor)
                            && !IsReassigned(constructor, parameter))
                        {
                            needs!.Add(parameter.Ordinal);
                            continue;
                        }

                        needs = null;
                        break;
                    }
                }
            }

            known[constructor] = needs;
            return needs;
        }

        /// <summary>The constructor <paramref name="constructor"/> chains to and its arguments; an implicit one calls the base's parameterless constructor.</summary>
        private (IMethodSymbol? Target, IReadOnlyList<IArgumentOperation> Arguments)? Chained(IMethodSymbol constructor)
        {
            if (constructor.DeclaringSyntaxReferences.IsEmpty)
            {
                var baseConstructor = constructor.ContainingType.BaseType?.InstanceConstructors.FirstOrDefault(c => c.Parameters.IsEmpty);
                return constructor.ContainingType.BaseType == null || baseConstructor != null ? (baseConstructor, new IArgumentOperation[0]) : null;
            }

            if (_interop.Wrappers.GetBody(constructor) is not IConstructorBodyOperation body)
            {
                return null;
            }

            if (body.Initializer?.DescendantsAndSelf().OfType<IInvocationOperation>().FirstOrDefault() is { } call)
            {
                return (call.TargetMethod, call.Arguments);
            }

            // No initializer in the tree: the base's parameterless constructor runs.
            var implicitBase = constructor.ContainingType.BaseType?.InstanceConstructors.FirstOrDefault(c => c.Parameters.IsEmpty);
            return constructor.ContainingType.BaseType == null || implicitBase != null ? (implicitBase, new IArgumentOperation[0]) : null;
        }

        private static bool PassesFalse(IReadOnlyList<IArgumentOperation> arguments, int ordinal)
            => arguments.FirstOrDefault(a => a.Parameter?.Ordinal == ordinal) is { } argument
               && OperationTree.SkipConversions(argument.Value).ConstantValue is { HasValue: true, Value: false };

        /// <summary>
        /// Every creation of <paramref name="type"/> in the compilation: <c>new T(..)</c> where a name binds to the type, and
        /// target-typed <c>new(..)</c> in the files that name it. A null entry stands for one that cannot be read.
        /// </summary>
        private IEnumerable<IObjectCreationOperation?> Creations(INamedTypeSymbol type)
        {
            var symbols = new ISymbol[] { type };
            foreach (var tree in _interop.Compilation.SyntaxTrees)
            {
                SemanticModel? model = null;
                foreach (var reference in NameReferences.InTree(symbols, type.Name, tree, _interop))
                {
                    model = reference.Model;
                    SyntaxNode name = reference.Name;
                    while (name.Parent is QualifiedNameSyntax qualified && qualified.Right == name || name.Parent is AliasQualifiedNameSyntax alias && alias.Name == name)
                    {
                        name = name.Parent;
                    }

                    if (name.Parent is ObjectCreationExpressionSyntax creation && creation.Type == name)
                    {
                        yield return model.GetOperation(creation) as IObjectCreationOperation;
                    }
                }

                if (model == null)
                {
                    continue;
                }

                foreach (var targetTyped in tree.GetRoot().DescendantNodes().OfType<ImplicitObjectCreationExpressionSyntax>())
                {
                    if (model.GetOperation(targetTyped) is IObjectCreationOperation { Constructor: { } constructor } creation
                        && SymbolEqualityComparer.Default.Equals(constructor.ContainingType.OriginalDefinition, type))
                    {
                        yield return creation;
                    }
                }
            }
        }

        /// <summary><paramref name="type"/> and every class of the compilation deriving from it.</summary>
        private List<INamedTypeSymbol> Family(INamedTypeSymbol type)
        {
            var family = new List<INamedTypeSymbol> { type };
            for (var i = 0; i < family.Count; i++)
            {
                if (!family[i].IsSealed && _subclasses.Value.TryGetValue(family[i], out var direct))
                {
                    family.AddRange(direct);
                }
            }

            return family;
        }

        private Dictionary<INamedTypeSymbol, List<INamedTypeSymbol>> ListSubclasses()
        {
            var map = new Dictionary<INamedTypeSymbol, List<INamedTypeSymbol>>(SymbolEqualityComparer.Default);
            foreach (var type in DeclaredTypes.Of(_interop.Compilation))
            {
                if (type.TypeKind == TypeKind.Class && type.BaseType?.OriginalDefinition is { } baseType)
                {
                    if (!map.TryGetValue(baseType, out var list))
                    {
                        map[baseType] = list = new List<INamedTypeSymbol>();
                    }

                    list.Add(type);
                }
            }

            return map;
        }

        // A protected constructor of a sealed class is as closed as a private one.
        private static bool IsCallableOutside(IMethodSymbol constructor, INamedTypeSymbol type)
            => SymbolVisibility.IsVisibleOutsideTheCompilation(constructor)
               && !(type.IsSealed && constructor.DeclaredAccessibility is Accessibility.Protected or Accessibility.ProtectedOrInternal);

        private static bool IsOrDerives(INamedTypeSymbol type, INamedTypeSymbol ancestor)
            => SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, ancestor) || BaseTypes.InheritsFrom(type, ancestor);
    }
}
