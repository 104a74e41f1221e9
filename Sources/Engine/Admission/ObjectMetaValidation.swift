import Foundation

/// `ValidateObjectMeta` / `ValidateObjectMetaUpdate` (`k8s.io/apimachinery/pkg/api/validation/objectmeta.go`).
enum ObjectMetaValidation {
    /// A `ValidateNameFunc`: the messages for a name, or for a generateName prefix when `prefix` is true.
    typealias NameFunc = (_ name: String, _ prefix: Bool) -> [String]

    /// `ValidateObjectMetaAccessor` in the upstream order: generateName, name, namespace, generation, labels,
    /// annotations. A name left empty because `generateName` is set is not an error here: the API server
    /// appends the random suffix after admission, so the prefix is what gets validated.
    static func validate(_ meta: ObjectMeta, namespaced: Bool, nameFunc: NameFunc, path: String = "metadata") -> [FieldError] {
        var errs: [FieldError] = []
        let generateName = meta.generateName ?? ""
        let name = meta.name ?? ""
        if !generateName.isEmpty {
            for msg in nameFunc(generateName, true) {
                errs.append(FieldError(.invalid, field: path + ".generateName", value: goQuote(generateName), msg))
            }
        }
        if name.isEmpty {
            if generateName.isEmpty {
                errs.append(FieldError(.required, field: path + ".name", "name or generateName is required"))
            }
        } else {
            for msg in nameFunc(name, false) {
                errs.append(FieldError(.invalid, field: path + ".name", value: goQuote(name), msg))
            }
        }
        if namespaced {
            let ns = meta.namespace ?? ""
            if ns.isEmpty {
                errs.append(FieldError(.required, field: path + ".namespace", ""))
            } else {
                for msg in KubeValidation.nameIsDNSLabel(ns, prefix: false) {
                    errs.append(FieldError(.invalid, field: path + ".namespace", value: goQuote(ns), msg))
                }
            }
        } else if let ns = meta.namespace, !ns.isEmpty {
            errs.append(FieldError(.forbidden, field: path + ".namespace", "not allowed on this type"))
        }
        errs += KubeValidation.validateNonnegative(meta.generation, path: path + ".generation")
        errs += KubeValidation.validateLabels(meta.labels, path: path + ".labels")
        errs += KubeValidation.validateAnnotations(meta.annotations, path: path + ".annotations")
        return errs
    }

    /// The part of `ValidateObjectMetaUpdate` the simulator needs: name, namespace and uid are immutable
    /// (labels, annotations, finalizers, ownerReferences and deletionTimestamp may change).
    static func validateUpdate(_ new: ObjectMeta, old: ObjectMeta, path: String = "metadata") -> [FieldError] {
        var errs: [FieldError] = []
        func immutable(_ n: String?, _ o: String?, _ field: String) {
            if (n ?? "") != (o ?? "") {
                errs.append(FieldError(.invalid, field: path + "." + field, value: goQuote(n ?? ""), KubeValidation.fieldImmutableErrorMsg))
            }
        }
        immutable(new.name, old.name, "name")
        immutable(new.namespace, old.namespace, "namespace")
        immutable(new.uid, old.uid, "uid")
        errs += KubeValidation.validateNonnegative(new.generation, path: path + ".generation")
        errs += KubeValidation.validateLabels(new.labels, path: path + ".labels")
        errs += KubeValidation.validateAnnotations(new.annotations, path: path + ".annotations")
        return errs
    }
}
